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
  std::function<void(const Progress&)> on_progress;   // called before each run
};

// Runs every cell of the scenario. Failed runs are recorded in the report, not thrown;
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
