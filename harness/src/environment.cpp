// What a report records about the machine it ran on, so two reports can be compared honestly.
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <iperf_api.h>

#include <fstream>
#include <sstream>

#include "benchlab/collectors.hpp"
#include "benchlab/kernel_context.hpp"
#include "benchlab/netns/topology.hpp"
#include "benchlab_git_rev.h"

namespace benchlab {
namespace {

std::string read_trimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s)
    if (c == '\t') c = ' ';
  return s;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

}  // namespace

nlohmann::json capture_environment() {
  nlohmann::json env;
  utsname u{};
  uname(&u);
  env["kernel"] = {{"release", u.release}, {"version", u.version}, {"machine", u.machine}};
  env["hostname"] = u.nodename;
  env["cpu"] = {{"model", cpu_model()},
                {"online", sysconf(_SC_NPROCESSORS_ONLN)},
                {"governor", read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")},
                {"smt_active", read_trimmed("/sys/devices/system/cpu/smt/active")}};
  env["memory_kb"] = sysconf(_SC_PHYS_PAGES) * (sysconf(_SC_PAGESIZE) / 1024);
  // Sysctls that change the numbers of a socket or packet benchmark. Namespaced net sysctls are
  // read from the root namespace here; benchlab's namespaces start from the same defaults.
  nlohmann::json sys;
  for (const char* k : {"net/core/rmem_max", "net/core/wmem_max", "net/core/rmem_default", "net/core/wmem_default",
                        "net/ipv4/tcp_rmem", "net/ipv4/tcp_wmem", "net/ipv4/tcp_congestion_control",
                        "net/core/default_qdisc", "net/core/busy_poll", "net/core/busy_read",
                        "net/core/netdev_max_backlog", "net/ipv4/tcp_autocorking", "kernel/bpf_stats_enabled",
                        "net/core/bpf_jit_enable", "kernel/unprivileged_bpf_disabled", "kernel/sched_autogroup_enabled"}) {
    std::string key = k;
    for (auto& c : key)
      if (c == '/') c = '.';
    sys[key] = read_trimmed(std::string("/proc/sys/") + k);
  }
  env["sysctls"] = sys;
  env["libraries"] = {{"libbpf", libbpf_version_string()},
                      {"libxdp", BENCHLAB_LIBXDP_VERSION},
                      {"iperf", iperf_get_iperf_version()}};
  env["benchlab"] = {{"version", BENCHLAB_VERSION}, {"git_revision", BENCHLAB_GIT_REV}, {"build_type", BENCHLAB_BUILD_TYPE},
                     {"compiler", __VERSION__}};
  env["clocksource"] = read_trimmed("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  env.update(capture_kernel_context());   // BPF JIT, mitigations, preemption model
  return env;
}

nlohmann::json capture_offloads(const Topology& topo) {
  nlohmann::json j = nlohmann::json::object();
  for (const Endpoint* ep : topo.interfaces()) {
    nlohmann::json f = nlohmann::json::object();
    for (const auto& [k, v] : netns::read_offloads(*ep)) f[k] = v;
    j[ep->role + "." + ep->ifname] = f;
  }
  return j;
}

}  // namespace benchlab
