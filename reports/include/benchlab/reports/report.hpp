// The report: versioned, self-describing data. A context block records the environment, every
// cell x datapath x repetition keeps its raw samples and counters, and the summary is derived
// from those raw records (so it can be recomputed offline). Readers upgrade older schema
// versions and refuse newer ones.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchlab/core/cell.hpp"
#include "benchlab/core/datapath.hpp"
#include "benchlab/core/results.hpp"

namespace benchlab::reports {

inline constexpr int kReportSchemaVersion = 1;

enum class RunStatus { ok, failed, skipped };
std::string to_string(RunStatus s);

// One datapath x one cell x one repetition, as collected. No derived numbers.
struct RunRecord {
  Cell cell;
  std::string datapath;
  int repetition = 0;             // 0-based
  RunStatus status = RunStatus::ok;
  std::string error;              // why it failed or was skipped
  double started_unix_s = 0;

  WorkloadResult result;
  CpuSnapshot cpu_begin, cpu_end;   // /proc/stat at the measured window's start and end
  Counters counters_delta;          // datapath counters and "link.<role>.<ifname>.<stat>" deltas
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
  nlohmann::json matrix;     // {"message_size":[...],"flows":[...],"cpu_placement":[...]}
  nlohmann::json options;    // {"topology":{..},"datapath":{name:{..}},"workload":{name:{..}}}
  std::vector<std::string> overrides;   // the --set strings
};

// Derived per-run figures (computed by derive(), never collected).
struct DerivedRun {
  double window_s = 0;
  double throughput_bps = 0;      // payload bits/s at the receiver, measured intervals only
  double messages_per_s = 0;
  double transactions_per_s = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;   // 0 when no latency
  double cpu_busy_s = 0;          // all CPUs, /proc/stat, over the window
  double cpu_user_s = 0, cpu_system_s = 0, cpu_softirq_s = 0, cpu_idle_s = 0;
  double cpu_s_per_gb = 0;        // cpu_busy_s per 1e9 payload bytes
  double cpu_us_per_transaction = 0;
};
DerivedRun derive(const RunRecord& r);

// The DerivedRun fields by name, in declaration order: the metric keys of SummaryRow, of the
// "derived" JSON object and of the report's summary.
struct DerivedField {
  const char* name;
  double DerivedRun::*member;
};
std::span<const DerivedField> derived_fields();

// Statistics of one metric over the repetitions of one cell x datapath.
struct MetricSummary {
  int n = 0;
  double median = 0, q1 = 0, q3 = 0, iqr = 0, min = 0, max = 0;
  double ratio_to_baseline = 0;   // median / kernel median of the same cell; 0 if undefined
};

struct SummaryRow {
  std::string cell_label;
  Cell cell;
  std::string datapath;
  int ok_runs = 0, failed_runs = 0, skipped_runs = 0;
  std::map<std::string, MetricSummary> metrics;   // keys: the DerivedRun field names
};

struct Report {
  int schema_version = kReportSchemaVersion;
  std::string benchlab_version;
  std::string git_revision;
  std::string created_utc;          // ISO 8601
  nlohmann::json context;           // environment capture (kernel, cpu, sysctls, offloads, versions…)
  ScenarioInfo scenario;
  std::vector<RunRecord> runs;
  std::vector<SummaryRow> summary;  // filled by summarize()
  std::string summary_baseline = "kernel";   // the datapath summarize() took ratios against
  double wall_s = 0;
};

// Fills report.summary from report.runs. The baseline datapath is "kernel".
void summarize(Report& report, const std::string& baseline = "kernel");

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
nlohmann::json run_to_json(const RunRecord& r);
RunRecord run_from_json(const nlohmann::json& j);

// Console table of the summary: per cell, each datapath's throughput, transactions/s, p50/p99
// latency and CPU per GB, with ratios to the kernel baseline; failed runs listed below it.
std::string console_table(const Report& r);

}  // namespace benchlab::reports
