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

struct ScenarioSpec {
  std::string file;              // path as given
  std::string sha256;            // of the file's bytes
  std::string name;
  std::string description;
  double duration_s = 5;
  double warmup_s = 1;
  int repetitions = 3;

  std::string topology = "loopback";
  Family family = Family::ipv4;
  OptionValues topology_options;

  std::vector<std::string> datapaths;            // "kernel" first, always present
  std::map<std::string, OptionValues> datapath_options;
  std::vector<std::string> workloads;
  std::map<std::string, OptionValues> workload_options;

  std::vector<uint32_t> message_sizes;
  std::vector<uint32_t> flows;
  std::vector<CpuPlacement> placements;

  Limits limits;

  // Matrix cells in run order: workload-major, then message size, flows, placement.
  std::vector<Cell> cells() const;
  // Wall-time estimate used by the limit check and the progress display.
  double estimated_seconds() const;
};

// Parses `path` and validates it against the registries; `overrides` are "key=value" strings
// from --set, applied to the TOML document before validation (dotted keys address tables).
ScenarioSpec load_scenario(const std::string& path, const Registries& reg,
                           const std::vector<std::string>& overrides = {});
// Same, from text already in memory (tests, fuzzer). `name` stands in for the file name.
ScenarioSpec parse_scenario(const std::string& text, const std::string& name, const Registries& reg,
                            const std::vector<std::string>& overrides = {});

}  // namespace benchlab
