// The runner: one straight flow from a validated scenario to a report.
//   for each cell, for each repetition, for each datapath (interleaved, so drift hits all alike):
//     Topology::build -> Datapath attach -> Workload::run (collectors snapshot at the window)
//     -> RunRecord -> teardown in reverse
//   -> Report (context + runs + summary)
#pragma once

#include <functional>
#include <string>

#include "benchlab/core/registry.hpp"
#include "benchlab/reports/report.hpp"
#include "benchlab/scenario.hpp"

namespace benchlab {

struct Progress {
  size_t cell = 0, cells = 0;       // 1-based cell index
  int repetition = 0, repetitions = 0;
  std::string datapath;
  std::string cell_label;
  double elapsed_s = 0;
  double estimated_s = 0;
};

struct RunOptions {
  bool verbose = false;
  // Called before each run. If it throws (the Python module's Ctrl-C), that run does not start
  // and none after it: the reason goes to context.interrupted, as for on_run_done.
  std::function<void(const Progress&)> on_progress;
  // Called after each run is torn down, with the report so far (its last run is the one just
  // done): where the CLI makes the run durable (reports::Journal). If it throws, no further
  // run starts; the reason goes to context.interrupted and the report so far is returned.
  std::function<void(const reports::Report& so_far)> on_run_done;
  // Written into the run record (/run/benchlab/runs/<id>), so `benchlab cleanup` can rebuild
  // the report of a run that died from its journal.
  std::string journal_path;
};

// Runs every cell of the scenario. Failed runs are recorded in the report, not thrown;
// a report that stops early (signal, on_run_done failing) carries context.interrupted;
// throws UnsupportedError before any side effect when the process lacks privileges or the
// topology is unsupported.
reports::Report run_scenario(const ScenarioSpec& spec, const Registries& reg, const RunOptions& opts);

// The metric table of the scenario's workloads and datapaths, with each traffic kind's baseline.
reports::MetricTable metric_table(const ScenarioSpec& spec, const Registries& reg);

// Converts a validated spec into the report's scenario block.
reports::ScenarioInfo scenario_info(const ScenarioSpec& spec, const std::vector<std::string>& overrides);

// Set by the SIGINT/SIGTERM handler; the runner stops before the next run.
int interrupted_signal();
void install_signal_handlers();

}  // namespace benchlab
