// Roles: the ends of a topology (endpoint roles) and the CPUs a cell pins its work to (CPU
// roles). One table each, read by topologies, workloads, datapaths, the runner (which records
// every role's CPU in the report) and the README.
#pragma once

#include <map>
#include <span>
#include <string>

#include "benchlab/core/cell.hpp"

namespace benchlab {

struct RoleInfo {
  const char* name;
  const char* doc;
};

// Endpoint roles, and the topologies that give them.
//   client, server  loopback (both on lo), veth (one veth end each)
//   generator, dut  veth for packet workloads (the generator's end, the device under test's end)
//   sink            veth-chain: the far end a DUT forwards to
std::span<const RoleInfo> endpoint_roles();

// CPU roles. Each has a side: the sending side (client, generator) or the receiving side
// (server, dut, proxy). same-core puts every role on the last online CPU; cross-core puts the
// receiving side on the last CPU and the sending side on the one before it. With one CPU every
// role shares it. CPU 0 takes most interrupts and housekeeping on small VMs, so the measured
// roles use the last CPUs.
//   client     the connecting or requesting process
//   server     the accepting or answering process
//   generator  the packet generator's thread (and, in live-frames mode, its veth's transmit)
//   dut        the CPU that runs the device-under-test's receive processing (its veth NAPI
//              thread, its XDP program, its receiving socket)
//   proxy      a proxy datapath's process, a sidecar beside the server
std::span<const RoleInfo> cpu_roles();
bool is_sending_side(const std::string& cpu_role);

// The CPU of every role for one placement; -1 means not pinned (no CPU information).
class CpuAssignment {
 public:
  int of(const std::string& role) const;   // -1 for a role it does not know
  const std::map<std::string, int>& all() const { return cpus_; }
  void set(const std::string& role, int cpu) { cpus_[role] = cpu; }

 private:
  std::map<std::string, int> cpus_;
};
CpuAssignment assign_cpus(CpuPlacement p, int online_cpus);

}  // namespace benchlab
