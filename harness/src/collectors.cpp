#include "benchlab/collectors.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/netns/topology.hpp"

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

std::vector<LinkCounters> read_topology_links(const Topology& topo) {
  std::vector<LinkCounters> out;
  for (const Endpoint* ep : topo.interfaces()) out.push_back(netns::read_link_counters(*ep));
  return out;
}

}  // namespace benchlab
