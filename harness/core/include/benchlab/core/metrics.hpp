// Metrics as declarations. A workload (and a datapath, for its own counters) declares each
// figure it produces: its name with the unit in it, its direction, and how it is derived from a
// run's raw record (samples, latency histogram, CPU snapshots, counters). The summary, console,
// report, and the coming compare, gates and plots read this one table; nothing else decides
// which figures a row has. The derivations are data (a kind and its parameters), so a report
// carries the table it was summarised with and can be re-summarised offline.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "benchlab/core/results.hpp"

namespace benchlab {

enum class Direction { higher_is_better, lower_is_better, neither };
std::string to_string(Direction d);   // "higher", "lower", "neither"
bool parse_direction(const std::string& s, Direction* out);

// How a metric is computed from a run. Sums and rates cover the measured intervals only
// (warm-up and cool-down samples are kept in the report but left out).
enum class Derivation {
  window,         // the measured window's length, s
  rate,           // sum of sample field `source` / measured seconds, x scale
  total,          // sum of sample field `source` over the measured intervals, x scale
  percentile,     // latency histogram at quantile `quantile`, ns x scale
  latency_max,    // latency histogram's maximum, ns x scale
  cpu,            // CPU seconds of kind `source` (busy, user, system, softirq, idle), all CPUs
  cpu_per_unit,   // busy CPU seconds / (sum of sample field `source`), x scale
  counter,        // the datapath counter `source` over the window, x scale
  counter_rate,   // the datapath counter `source` over the window / measured seconds, x scale
  extra,          // the workload's raw figure `source` (WorkloadResult::extra), x scale
};
std::string to_string(Derivation d);
bool parse_derivation(const std::string& s, Derivation* out);

struct MetricSpec {
  std::string name;        // with its unit: "throughput_bps", "p99_us", "cpu_ns_per_packet"
  std::string unit;        // "bit/s", "µs", ...
  Direction direction = Direction::neither;
  Derivation derivation = Derivation::window;
  std::string source;      // sample field, CPU kind, counter or extra name (see Derivation)
  double scale = 1;
  double quantile = 0;     // percentile only
  std::string doc;
  // The console shows headline metrics (in declaration order), scaled for reading.
  bool headline = false;
  std::string display_unit;   // e.g. "Gbit/s"; empty: `unit`
  double display_scale = 1;   // e.g. 1e-9 for bit/s -> Gbit/s
  bool operator==(const MetricSpec&) const = default;
};

// The sample fields a rate, total or per-unit derivation may name.
std::span<const char* const> sample_fields();
uint64_t sample_field(const IntervalSample& s, const std::string& field);   // 0 for an unknown name

// What a derivation reads: one run's raw record.
struct RunData {
  const WorkloadResult& result;
  const CpuSnapshot& cpu_begin;
  const CpuSnapshot& cpu_end;
  const Counters& counters;   // the datapath's own, over the window
};
// The metric's value for one run. Undefined figures (nothing to divide by, no histogram) are 0,
// never NaN: NaN does not survive JSON and would poison every statistic taken over it.
double derive_metric(const MetricSpec& m, const RunData& run);

// Every row carries these: the window and the CPU time spent in it.
std::span<const MetricSpec> common_metrics();
// Latency from the run's histogram, in µs: p50, p90, p99, p99.9 and the maximum (lower is
// better), for every workload that times round trips.
std::vector<MetricSpec> latency_metrics();

// Checks a declaration (a known source for its derivation, a unit-bearing name); returns "" or
// the reason it is wrong. Registries check their entries with it.
std::string check_metric(const MetricSpec& m);

}  // namespace benchlab
