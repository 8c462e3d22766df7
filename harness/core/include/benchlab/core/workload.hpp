// A workload drives load across a topology and measures it at the receiver. It runs its
// endpoints in child processes (see child.hpp) placed in the topology's namespaces, bounded by
// the warm-up + duration it is given, and calls the window hooks from the parent process when
// the measured window begins and ends so the runner's collectors can take their snapshots.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "benchlab/core/cell.hpp"
#include "benchlab/core/datapath.hpp"
#include "benchlab/core/options.hpp"
#include "benchlab/core/results.hpp"
#include "benchlab/core/roles.hpp"

namespace benchlab {

struct WindowHooks {
  std::function<void()> begin;   // measured window starts (after warm-up)
  std::function<void()> end;     // measured window ends
  // The datapath's counters and every topology interface's, read now: what a workload that
  // accounts for every packet over the whole run reads before its load and after it drained.
  // Empty when the caller offers none (a workload then skips that accounting).
  std::function<WindowCounters()> snapshot;
};

struct WorkloadContext {
  const Topology& topo;
  const Cell& cell;
  const OptionValues& options;
  const Datapath& datapath;
  CpuAssignment cpus;
  double warmup_s = 1;
  double duration_s = 5;
  WindowHooks hooks;
  bool verbose = false;
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Failures are data: once its processes have started, a workload returns what it gathered
  // (raw samples, counts) with the reason in WorkloadResult::failure — a payload that differed,
  // a peer that died, a timeout — and the runner decides the run's status. It throws RunError
  // only before that, for a cell or options it cannot run.
  virtual WorkloadResult run(const WorkloadContext& ctx) = 0;
};

}  // namespace benchlab
