#include "benchlab/core/roles.hpp"

namespace benchlab {

namespace {

constexpr RoleInfo kEndpointRoles[] = {
    {"client", "the connecting or requesting end (loopback: lo; veth: the client namespace's end)"},
    {"server", "the accepting or answering end (loopback: lo; veth: the server namespace's end)"},
    {"generator", "a packet workload's sending end (veth: the generator namespace's end)"},
    {"dut", "the device under test: the end where the datapath receives (veth: the DUT namespace's end)"},
    {"sink", "the far end a device under test forwards to (veth-chain)"},
};

constexpr RoleInfo kCpuRoles[] = {
    {"client", "the connecting or requesting process"},
    {"server", "the accepting or answering process"},
    {"generator", "the packet generator (and, in live-frames mode, its veth's transmit)"},
    {"dut", "the device under test's receive processing: its NAPI thread, XDP program, receiving socket"},
    {"proxy", "a proxy datapath's process, a sidecar beside the server"},
};

}  // namespace

std::span<const RoleInfo> endpoint_roles() { return kEndpointRoles; }
std::span<const RoleInfo> cpu_roles() { return kCpuRoles; }

bool is_sending_side(const std::string& role) { return role == "client" || role == "generator"; }

int CpuAssignment::of(const std::string& role) const {
  auto it = cpus_.find(role);
  return it == cpus_.end() ? -1 : it->second;
}

CpuAssignment assign_cpus(CpuPlacement p, int online_cpus) {
  CpuAssignment a;
  for (const RoleInfo& r : kCpuRoles) {
    int cpu = -1;
    if (online_cpus > 0) {
      const int last = online_cpus - 1;
      const bool apart = p == CpuPlacement::cross_core && online_cpus > 1;
      cpu = apart && is_sending_side(r.name) ? last - 1 : last;
    }
    a.set(r.name, cpu);
  }
  return a;
}

}  // namespace benchlab
