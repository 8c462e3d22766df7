// Comparison of two reports, and the regression gate built on it. Computed first, printed second:
// compare_reports() returns plain data (every figure of every row x metric), the renderers only
// format it, and gate() only maps it to pass / regression / cannot judge. The CLI (`benchlab
// compare`, `benchlab gate`) and the Python bindings call exactly these functions.
//
// "Changed" needs both: a significant two-sided Mann-Whitney U over the repetitions, the p-values
// corrected for the number of rows x metrics compared (Holm or Benjamini-Hochberg), and an effect
// at least the threshold, where the effect is the Hodges-Lehmann shift (median of all pairwise
// differences NEW - BASE) in percent of BASE's median, with its confidence interval. Direction
// comes from the metric table: a significant, large enough rise of a lower-is-better metric is
// "worse".
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchlab/core/metrics.hpp"
#include "benchlab/reports/report.hpp"

namespace benchlab::reports {

// How the p-values of one comparison are corrected for their number.
enum class Correction { holm, benjamini_hochberg, none };
std::string to_string(Correction c);                     // "holm", "bh", "none"
bool parse_correction(const std::string& s, Correction* out);

// What is compared. `absolute`: each row's figures. `ratio`: each row's figure over its cell's
// baseline's in the same repetition of the same run, so two machines that differ in speed
// compare what a datapath buys, not what the machine gives (baseline rows are not compared).
enum class CompareMode { absolute, ratio };
std::string to_string(CompareMode m);                    // "absolute", "ratio"
bool parse_compare_mode(const std::string& s, CompareMode* out);

struct CompareOptions {
  double alpha = 0.05;                                   // two-sided, after correction
  Correction correction = Correction::benjamini_hochberg;
  CompareMode mode = CompareMode::absolute;
  double threshold_pct = 5;                              // smallest |effect| that is a change
  std::map<std::string, double> thresholds_pct;          // per metric, overriding threshold_pct (> 0)
  // The metrics compared. Empty: every headline metric with a direction (the console's columns).
  // "all": every metric with a direction.
  std::vector<std::string> metrics;
  // A row whose coefficient of variation exceeds this is noisy. NaN: each report's own
  // scenario.noise_limit_pct.
  double noise_limit_pct = std::numeric_limits<double>::quiet_NaN();
};

enum class Verdict {
  no_change,      // not significant, or the effect is under the threshold
  better,         // significant and at least the threshold, in the metric's good direction
  worse,          // significant and at least the threshold, in the bad direction
  changed,        // significant and at least the threshold, for a metric with no better direction
  cannot_judge,   // a side has no ok run (or no baseline run, in ratio mode)
};
std::string to_string(Verdict v);   // "no change", "better", "worse", "changed", "cannot judge"

// A row is one cell x datapath variant, matched between the reports by cell label, datapath and
// variant.
struct RowKey {
  std::string cell_label, datapath, variant;
  bool operator<(const RowKey& o) const;
  bool operator==(const RowKey& o) const = default;
};

struct MetricComparison {
  std::string metric, unit;                   // unit "×" in ratio mode
  std::string display_unit;                   // how the renderers show medians: unit x display_scale
  double display_scale = 1;
  Direction direction = Direction::neither;
  int n_base = 0, n_next = 0;                 // ok repetitions that entered the test
  double base_median = 0, next_median = 0;    // of the compared values (ratios in ratio mode)
  double base_cv_pct = 0, next_cv_pct = 0;
  bool base_noisy = false, next_noisy = false;
  double ratio = 0;                           // next_median / base_median (0 when undefined)
  // Hodges-Lehmann shift next - base and its confidence interval (level 1 - alpha, from the
  // Mann-Whitney distribution), in percent of base_median; CI bounds NaN when the repetitions
  // cannot give one at that level.
  double shift_pct = 0, shift_ci_low_pct = 0, shift_ci_high_pct = 0;
  double u = 0, p = 1, p_adjusted = 1;        // Mann-Whitney U of next vs base, its p, corrected
  double threshold_pct = 0;
  Verdict verdict = Verdict::no_change;
  std::string note;                           // why cannot_judge, or ""
};

struct RowComparison {
  RowKey key;
  std::string workload, kind, baseline;
  std::vector<MetricComparison> metrics;
};

// Geometric mean over the matched rows of one datapath variant of next/base median ratios, per
// metric: the one-line "what moved" of a datapath.
struct DatapathSummary {
  std::string variant, metric;
  Direction direction = Direction::neither;
  int rows = 0;
  double geomean_ratio = 0;
  int better = 0, worse = 0, changed = 0;
};

struct CompareResult {
  CompareOptions options;
  std::string base_label, next_label;     // what the renderers call the two sides (file names)
  std::vector<RowComparison> rows;        // in BASE's summary order
  std::vector<RowKey> only_in_base, only_in_next;
  std::vector<DatapathSummary> datapaths;
  size_t comparisons = 0;                 // the family size the correction used
  // The smallest two-sided p the repetitions allow (no ties): 2 / C(n_base + n_next, n_base),
  // at the smallest sides compared, and whether even that survives the correction.
  double min_attainable_p = 1;
  bool can_reach_alpha = false;
  std::vector<std::string> warnings;      // too few repetitions, different scenarios/machines...
  int count(Verdict v) const;
};

// Throws std::invalid_argument for options that make no sense (alpha outside (0,1), unknown
// metric names, a negative threshold).
CompareResult compare_reports(const Report& base, const Report& next, const CompareOptions& options = {});

nlohmann::json to_json(const CompareResult& c);
std::string compare_console(const CompareResult& c);    // plain text, one table per cell
std::string compare_markdown(const CompareResult& c);   // GitHub/GitLab-flavoured Markdown

// ------------------------------------------------------------------------------------ gates

// A scenario's [gates] table (also recorded in the report's scenario): per-metric limits in
// percent, signed in the metric's bad direction ("-5%" for throughput, "+10%" for p99), and how
// to judge. Without a table: every headline metric with a direction, 5% in its bad direction.
struct GateSpec {
  std::map<std::string, double> limits_pct;   // metric -> signed limit
  double alpha = 0.05;
  Correction correction = Correction::holm;
  CompareMode mode = CompareMode::ratio;
  bool operator==(const GateSpec&) const = default;
};
inline constexpr double kDefaultGatePct = 5;
// Parses "-5%" / "+10%" / "-5" into a signed percentage; false on anything else.
bool parse_gate_limit(const std::string& s, double* out);

enum class GateStatus { pass = 0, regression = 1, cannot_judge = 6 };   // the process exit codes

struct GateCase {
  RowKey key;
  std::string metric;
  GateStatus status = GateStatus::pass;
  double limit_pct = 0;
  std::string message;                    // one line: the figures (effect, CI, p, limit, CV)
};

struct GateResult {
  GateStatus status = GateStatus::cannot_judge;   // never a pass by default
  GateSpec spec;
  CompareResult comparison;
  std::vector<GateCase> cases;            // one per row x gated metric, rows missing included
  std::vector<std::string> reasons;       // why the status: regressions, or why it cannot judge
};

// The gates recorded in `next`'s scenario (its [gates] table), or the defaults. Throws
// std::runtime_error naming the key for a malformed table.
GateSpec gate_spec_of(const Report& next);
GateResult gate(const Report& base, const Report& next, const GateSpec& spec);

// JUnit XML as Jenkins and GitLab read it: one <testsuite>, one <testcase> per row x gated
// metric (classname: scenario.cell, name: variant metric), <failure> for a regression, <error>
// for a case that cannot be judged.
std::string junit_xml(const GateResult& g, const std::string& suite_name);
std::string gate_console(const GateResult& g);

}  // namespace benchlab::reports
