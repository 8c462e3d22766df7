// The report: versioned, self-describing data. A context block records the environment, every
// cell x datapath x repetition keeps its raw samples and counters, and the summary is derived
// from those raw records (so it can be recomputed offline). Readers upgrade older schema
// versions and refuse newer ones.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchlab/core/cell.hpp"
#include "benchlab/core/metrics.hpp"
#include "benchlab/core/options.hpp"
#include "benchlab/core/results.hpp"

namespace benchlab::reports {

// 2: cells carry generic axes, runs their datapath variant, the report its metric table and a
//    baseline per traffic kind; summary rows carry exactly the metrics that apply. Version 1
//    files are upgraded in memory on read.
inline constexpr int kReportSchemaVersion = 2;

// The default of a scenario's noise_limit_pct: a coefficient of variation above it marks a row
// noisy.
inline constexpr double kDefaultNoiseLimitPct = 10;
// Within one report, a datapath's figures are tested against its cell's baseline (Mann-Whitney
// U, Benjamini-Hochberg over the report's rows x headline metrics) at this level.
inline constexpr double kSummaryAlpha = 0.05;

enum class RunStatus { ok, failed, skipped };
std::string to_string(RunStatus s);

// One datapath variant x one cell x one repetition, as collected. No derived numbers.
struct RunRecord {
  Cell cell;
  std::string datapath;           // the registry entry
  std::string variant;            // the variant's label: the datapath, or "xdp-drop[native]"
  OptionValues variant_axes;      // the datapath's own axis values
  int repetition = 0;             // 0-based
  RunStatus status = RunStatus::ok;
  std::string error;              // why it failed or was skipped
  double started_unix_s = 0;

  WorkloadResult result;
  CpuSnapshot cpu_begin, cpu_end;   // /proc/stat at the measured window's start and end
  Counters counters_delta;          // the datapath's own counters over the window
  std::vector<LinkCounters> links_delta;   // every topology interface's counters over the window
  Engagement engagement;
  double topology_build_ms = 0;
  double topology_teardown_ms = 0;
};

// Scenario as run (after --set overrides), enough to re-run or compare it.
struct ScenarioInfo {
  std::string name, description, file, sha256;
  double duration_s = 0, warmup_s = 0;
  int repetitions = 0;
  std::string topology, family;
  std::vector<std::string> datapaths, workloads;
  nlohmann::json matrix;     // {axis: [values], ...}: every axis of the scenario
  nlohmann::json options;    // {"topology":{..},"datapath":{name:{..}},"workload":{name:{..}}}
  std::vector<std::string> overrides;   // the --set strings
  // Datapaths that run in no cell of some workload (they carry another traffic kind), and why.
  struct NotRun {
    std::string datapath, workload, reason;
  };
  std::vector<NotRun> not_run;
  // A row whose coefficient of variation over repetitions exceeds this is noisy (summary, console,
  // compare, gates). Reports written before it read as the default.
  double noise_limit_pct = kDefaultNoiseLimitPct;
  // The scenario's [gates] table as written ({metric: "-5%", "alpha": .., "correction": ..,
  // "compare": ..}); null when the scenario has none (the gate then uses its defaults).
  nlohmann::json gates;
};

// The metric table the report was summarised with: what every row carries (common), what each
// workload and each datapath declares, each workload's traffic kind and each kind's baseline.
struct MetricTable {
  std::vector<MetricSpec> common;
  std::map<std::string, std::vector<MetricSpec>> workloads, datapaths;
  std::map<std::string, std::string> workload_kinds;   // workload -> traffic kind
  std::map<std::string, std::string> baselines;        // traffic kind -> baseline datapath
};

// The metrics of a run's row, in order: common, the workload's, the datapath's.
std::vector<MetricSpec> metrics_of(const MetricTable& t, const std::string& workload, const std::string& datapath);
// Derived per-run figures (never collected): one value per metric of the row.
std::vector<std::pair<std::string, double>> derive(const MetricTable& t, const RunRecord& r);

// Statistics of one metric over the repetitions of one cell x datapath variant.
struct MetricSummary {
  int n = 0;
  double median = 0, q1 = 0, q3 = 0, iqr = 0, min = 0, max = 0;
  // median / the baseline row's median of the same cell; absent for the baseline itself' other
  // kinds, when the baseline lacks the metric, or when it measured 0.
  std::optional<double> ratio_to_baseline;
  // Noise: the coefficient of variation over the repetitions (%), the 95% seeded-bootstrap
  // confidence interval of the median (stats::bootstrap_median_ci), and whether cv_pct is above
  // the scenario's noise_limit_pct. NaN cv (a zero mean) is not noisy.
  double cv_pct = 0, ci_low = 0, ci_high = 0;
  bool noisy = false;
  // Against the cell's baseline, for the headline metrics with a direction of non-baseline rows:
  // the two-sided Mann-Whitney p over the repetitions, Benjamini-Hochberg-adjusted over every
  // such test in the report, and whether it is below kSummaryAlpha.
  std::optional<double> p_vs_baseline;
  bool significant = false;
};

struct SummaryRow {
  std::string cell_label;
  Cell cell;
  std::string datapath;
  std::string variant;            // the row's name: the datapath variant's label
  std::string kind;               // the traffic kind of the cell's workload
  std::string baseline;           // the variant its ratios are against ("" for none)
  int ok_runs = 0, failed_runs = 0, skipped_runs = 0;
  std::map<std::string, MetricSummary> metrics;   // exactly the row's metrics (metrics_of)
};

struct Report {
  int schema_version = kReportSchemaVersion;
  std::string benchlab_version;
  std::string git_revision;
  std::string created_utc;          // ISO 8601
  nlohmann::json context;           // environment capture (kernel, cpu, sysctls, offloads, versions…)
  ScenarioInfo scenario;
  MetricTable metrics;
  std::vector<RunRecord> runs;
  std::vector<SummaryRow> summary;  // filled by summarize()
  double wall_s = 0;
};

// Fills report.summary from report.runs, with report.metrics. Within a cell, each row's ratios
// are against the row of the baseline of the cell's traffic kind.
void summarize(Report& report);

nlohmann::json to_json(const Report& r);   // keys sorted (nlohmann::json is a sorted map)
// The text write_report writes: keys in schema order (schema_version first), 2-space indent.
std::string to_json_text(const Report& r);
// Throws std::runtime_error naming the problem for malformed input or a newer schema_version.
Report from_json(const nlohmann::json& j);
// Atomic: writes <path>.tmp.<pid> beside it, fsyncs it, renames it over <path> and fsyncs the
// directory; on failure the temporary file is removed and the target left as it was.
void write_report(const Report& r, const std::string& path);
Report read_report(const std::string& path);                    // errors name the file

// One run as it appears in the report's "runs" array (the journal writes the same objects, one
// per line). run_from_json throws std::runtime_error "malformed run: <json path>: <what>".
nlohmann::json run_to_json(const RunRecord& r, const MetricTable& metrics);
RunRecord run_from_json(const nlohmann::json& j);

// Console table of the summary: per cell, each datapath variant's headline metrics (declared by
// the cell's workload) with ratios to the baseline; failed, skipped and unengaged runs below it.
std::string console_table(const Report& r);

}  // namespace benchlab::reports
