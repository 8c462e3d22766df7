// A scenario file parsed and validated in full before any side effect. Every problem is a
// ScenarioError naming file, line, key and reason. Schema: scenarios/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "benchlab/core/cell.hpp"
#include "benchlab/core/options.hpp"
#include "benchlab/core/registry.hpp"
#include "benchlab/netns/topology.hpp"

namespace benchlab {

inline constexpr int kScenarioSchemaVersion = 1;

// Bounds that keep a typo from running for hours; a scenario may raise them explicitly in
// its [limits] table, up to the hard ceilings.
struct Limits {
  double max_duration_s = 120;       // one measured window
  double max_warmup_s = 60;
  int max_repetitions = 50;
  int max_cells = 512;               // matrix cells x workloads
  double max_total_s = 4 * 3600.0;   // estimated wall time of the whole run
};

// One variant of a datapath: the datapath with one value of each of its own axes. A datapath
// without axes has exactly one variant, named as the datapath.
struct DatapathVariant {
  std::string datapath;
  OptionValues axes;    // the datapath's axis values
  std::string label;    // "sockmap-msg", "xdp-drop[native]"
};

// A datapath that runs in no cell of some workload of the scenario, and why (the report says so).
struct NotRun {
  std::string datapath, workload, reason;
};

struct ScenarioSpec {
  std::string file;              // path as given
  std::string sha256;            // of the file's bytes
  std::string name;
  std::string description;
  double duration_s = 5;
  double warmup_s = 1;
  // At least 5: with 3 or fewer repetitions per side a two-sided Mann-Whitney test can never
  // reach p < 0.05 (3 vs 3: p >= 0.1), so no comparison of the report could show a change.
  int repetitions = 5;
  // A row whose coefficient of variation over repetitions exceeds this is noisy.
  double noise_limit_pct = 10;

  // [gates]: the regression gate's per-metric limits, in percent, signed in the metric's bad
  // direction (-5 for a throughput, +10 for a latency), and how to judge. `present` false: the
  // scenario has no table and `benchlab gate` uses its documented defaults.
  struct Gates {
    bool present = false;
    std::map<std::string, double> limits_pct;
    double alpha = 0.05;
    std::string correction = "holm";   // holm | bh | none
    std::string compare = "ratio";     // ratio | absolute
  } gates;

  std::string topology = "loopback";
  Family family = Family::ipv4;
  OptionValues topology_options;

  std::vector<std::string> datapaths;            // the baselines first, each once
  std::map<std::string, OptionValues> datapath_options;
  std::vector<std::string> workloads;
  std::map<std::string, OptionValues> workload_options;

  // Traffic: the kind each workload makes, the kinds each datapath carries, and the baseline
  // datapath of every kind the scenario's workloads make.
  std::map<std::string, TrafficKind> workload_kind;
  std::map<std::string, std::vector<TrafficKind>> datapath_kinds;
  std::map<TrafficKind, std::string> baselines;
  std::vector<NotRun> not_run;

  // The declared axes of the entries in use, and the values of every axis (as listed in
  // [matrix], or the declared default).
  std::map<std::string, std::vector<AxisSpec>> workload_axes, datapath_axes;
  std::vector<AxisSpec> topology_axes;
  std::map<std::string, std::vector<OptionValue>> matrix;
  std::vector<std::string> matrix_keys;          // the axes the scenario lists, in file order

  Limits limits;

  // Matrix cells in run order: workload-major, then each of its axes (then the topology's) in
  // declaration order, the first outermost.
  std::vector<Cell> cells() const;
  // The variants of one datapath, in matrix order.
  std::vector<DatapathVariant> variants(const std::string& datapath) const;
  // Whether `datapath` runs in the cells of `workload` (it carries the workload's kind).
  bool runs_in(const std::string& datapath, const std::string& workload) const;
  // The baseline datapath of the workload's kind.
  const std::string& baseline_for(const std::string& workload) const;
  // Wall-time estimate used by the limit check and the progress display.
  double estimated_seconds() const;
  // How many runs the scenario makes.
  size_t run_count() const;
};

// Parses `path` and validates it against the registries; `overrides` are "key=value" strings
// from --set, applied to the TOML document before validation (dotted keys address tables).
ScenarioSpec load_scenario(const std::string& path, const Registries& reg,
                           const std::vector<std::string>& overrides = {});
// Same, from text already in memory (tests, fuzzer). `name` stands in for the file name.
ScenarioSpec parse_scenario(const std::string& text, const std::string& name, const Registries& reg,
                            const std::vector<std::string>& overrides = {});

}  // namespace benchlab
