// A datapath is what carries the workload's traffic: the plain kernel stack (the baseline) or a
// BPF program plus the small RAII object that attached it. Constructing a Datapath attaches it;
// destroying it removes exactly what it created. Nothing here assumes TCP sockets: socket
// datapaths use workload_cgroup()/await_socket(), packet datapaths (XDP, AF_XDP, tc) attach to
// the topology's interfaces and only report counters.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "benchlab/core/cell.hpp"
#include "benchlab/core/options.hpp"
#include "benchlab/core/results.hpp"
#include "benchlab/core/roles.hpp"
#include "benchlab/core/topology.hpp"

namespace benchlab {

// Where a workload's client connects.
struct ConnectTarget {
  IpAddress addr;
  uint16_t port = 0;
};

struct DatapathContext {
  const Topology& topo;
  const Cell& cell;
  const OptionValues& options;
  std::string run_id;       // unique per run; part of every name the datapath creates
  CpuAssignment cpus;       // every CPU role's CPU in this cell ("proxy", "dut", ...)
  OptionValues variant;     // the values of the datapath's own axes for this variant
};

class Datapath {
 public:
  virtual ~Datapath() = default;
  virtual std::string name() const = 0;

  // Where the client of a workload connects to reach `port` on the server endpoint. Called in
  // the parent before the client starts. The baseline (and any datapath that does not sit in
  // the path) returns the server itself; a proxy datapath starts its proxy for that port (once)
  // and returns the proxy's address.
  virtual ConnectTarget client_target(const Endpoint& server, uint16_t port) const {
    return {server.addr, port};
  }

  // A cgroup v2 directory every workload process must join before opening sockets, or "".
  virtual std::string workload_cgroup() const { return {}; }

  // Called inside a workload process for each connected socket, before it is timed: returns
  // once the datapath carries that socket's traffic (the readiness barrier); throws RunError
  // when it does not within its timeout.
  virtual void await_socket(int /*fd*/) const {}

  // The datapath's own counters (summed over CPUs). The runner reads them at the start and the
  // end of the measured window.
  virtual Counters read_counters() const { return {}; }

  // Given the counters' change over the window and what the workload moved, decide whether the
  // datapath under test really carried the traffic. The baseline proves nothing. `delta` holds
  // this datapath's own counters and, from the runner's collectors, a typed record of every
  // topology interface's counters, so a datapath can also check from outside BPF (e.g. that the
  // data bypassed an interface).
  virtual Engagement check_engagement(const WindowCounters& /*delta*/, const WorkloadResult& /*r*/) const {
    return {};
  }

  // Facts about how the datapath was set up that the report records with each run (e.g. an XDP
  // program's attach mode, whether libxdp ran it in legacy single-program mode, its program id).
  // Read once after construction; plain strings, no derivation.
  virtual std::map<std::string, std::string> attributes() const { return {}; }
};

}  // namespace benchlab
