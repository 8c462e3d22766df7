#include "benchlab/collectors.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"

namespace benchlab {

CpuSnapshot parse_proc_stat(const std::string& text, double mono_s, long user_hz) {
  CpuSnapshot snap;
  snap.mono_s = mono_s;
  std::istringstream in(text);
  std::string line;
  const double hz = double(user_hz > 0 ? user_hz : 100);
  while (std::getline(in, line)) {
    // "cpuN user nice system idle iowait irq softirq steal ..." — skip the aggregate "cpu " line.
    if (line.size() < 4 || line.compare(0, 3, "cpu") != 0 || !std::isdigit((unsigned char)line[3])) continue;
    std::istringstream ls(line);
    std::string name;
    unsigned long long v[8] = {};
    ls >> name;
    for (auto& x : v) ls >> x;
    size_t idx = std::stoul(name.substr(3));
    if (snap.per_cpu.size() <= idx) snap.per_cpu.resize(idx + 1);
    CpuTimes& t = snap.per_cpu[idx];
    t.user_s = double(v[0]) / hz;
    t.nice_s = double(v[1]) / hz;
    t.system_s = double(v[2]) / hz;
    t.idle_s = double(v[3]) / hz;
    t.iowait_s = double(v[4]) / hz;
    t.irq_s = double(v[5]) / hz;
    t.softirq_s = double(v[6]) / hz;
    t.steal_s = double(v[7]) / hz;
  }
  return snap;
}

CpuSnapshot read_proc_stat() {
  std::ifstream in("/proc/stat");
  if (!in) throw RunError("cannot read /proc/stat");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_proc_stat(ss.str(), mono_now_s(), sysconf(_SC_CLK_TCK));
}

Counters read_topology_links(const netns::Topology& topo) {
  Counters c;
  auto add = [&](const std::string& role, const netns::Endpoint& ep) {
    netns::LinkStats s = netns::read_link_stats(ep);
    std::string p = "link." + role + "." + ep.ifname + ".";
    c[p + "rx_packets"] = s.rx_packets;
    c[p + "tx_packets"] = s.tx_packets;
    c[p + "rx_bytes"] = s.rx_bytes;
    c[p + "tx_bytes"] = s.tx_bytes;
  };
  add("client", topo.client());
  // On loopback both ends share one interface: count it once.
  if (topo.server().ns != topo.client().ns || topo.server().ifname != topo.client().ifname)
    add("server", topo.server());
  return c;
}

Counters counter_delta(const Counters& a, const Counters& b) {
  Counters d;
  for (const auto& [k, v] : b) {
    auto it = a.find(k);
    uint64_t base = it == a.end() ? 0 : it->second;
    d[k] = v >= base ? v - base : 0;
  }
  return d;
}

}  // namespace benchlab
