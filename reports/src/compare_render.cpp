// The renderers of a CompareResult: JSON, the console table and Markdown. They format what
// compare_reports() computed and compute nothing themselves.
#include <cmath>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "benchlab/reports/compare.hpp"

namespace benchlab::reports {
namespace {

using ojson = nlohmann::ordered_json;

ojson num(double x) { return std::isfinite(x) ? ojson(x) : ojson(nullptr); }

ojson key_json(const RowKey& k) { return {{"cell_label", k.cell_label}, {"datapath", k.datapath}, {"variant", k.variant}}; }

// About four significant digits, no exponent.
std::string number(double v) {
  const double a = std::abs(v);
  if (!std::isfinite(v)) return "-";
  if (a >= 1e9) return fmt::format("{:.3g}", v);
  if (a >= 1000) return fmt::format("{:.0f}", v);
  if (a >= 100) return fmt::format("{:.1f}", v);
  if (a >= 10) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3f}", v);
}

std::string signed_pct(double x) { return std::isfinite(x) ? fmt::format("{:+.1f}%", x) : std::string("?"); }

std::string shift_text(const MetricComparison& m) {
  if (m.verdict == Verdict::cannot_judge) return "-";
  std::string s = signed_pct(m.shift_pct);
  if (std::isfinite(m.shift_ci_low_pct) && std::isfinite(m.shift_ci_high_pct))
    s += fmt::format(" [{:+.1f}, {:+.1f}]", m.shift_ci_low_pct, m.shift_ci_high_pct);
  else s += " [no CI]";
  return s;
}

std::string side(double median, double cv, bool noisy, int n) {
  if (n == 0) return "-";
  return fmt::format("{} ±{:.0f}%{}", number(median), cv, noisy ? "!" : "");
}

// "throughput_bps [Gbit/s]": the metric's name, and the unit its medians are shown in.
std::string metric_label(const MetricComparison& m) {
  return m.display_unit.empty() || m.display_unit == m.unit ? m.metric : m.metric + " [" + m.display_unit + "]";
}

std::string verdict_text(const MetricComparison& m) {
  std::string v = to_string(m.verdict);
  if (m.verdict == Verdict::cannot_judge) return v + ": " + m.note;
  if ((m.base_noisy || m.next_noisy) && m.verdict == Verdict::no_change) v += " (noisy)";
  return v;
}

std::string header(const CompareResult& c) {
  const CompareOptions& o = c.options;
  return fmt::format(
      "{} -> {}: {} figures; Mann-Whitney U over repetitions (two-sided), {} correction over {} comparisons, "
      "alpha {}; change threshold {}%{}; shift = Hodges-Lehmann NEW-BASE in % of BASE [{:.0f}% CI]\n",
      c.base_label.empty() ? "BASE" : c.base_label, c.next_label.empty() ? "NEW" : c.next_label,
      o.mode == CompareMode::ratio ? "ratio-to-baseline" : "absolute", to_string(o.correction), c.comparisons, o.alpha,
      o.threshold_pct, o.thresholds_pct.empty() ? "" : " (per-metric limits apply)", 100 * (1 - o.alpha));
}

std::string tally(const CompareResult& c) {
  return fmt::format("{} worse, {} better, {} changed, {} no change, {} cannot judge", c.count(Verdict::worse),
                     c.count(Verdict::better), c.count(Verdict::changed), c.count(Verdict::no_change),
                     c.count(Verdict::cannot_judge));
}

}  // namespace

nlohmann::json to_json(const CompareResult& c) {
  ojson rows = ojson::array();
  for (const RowComparison& r : c.rows) {
    ojson ms = ojson::array();
    for (const MetricComparison& m : r.metrics)
      ms.push_back({{"metric", m.metric},
                    {"unit", m.unit},
                    {"display_unit", m.display_unit},
                    {"display_scale", m.display_scale},
                    {"direction", to_string(m.direction)},
                    {"n_base", m.n_base},
                    {"n_next", m.n_next},
                    {"base_median", num(m.base_median)},
                    {"next_median", num(m.next_median)},
                    {"base_cv_pct", num(m.base_cv_pct)},
                    {"next_cv_pct", num(m.next_cv_pct)},
                    {"base_noisy", m.base_noisy},
                    {"next_noisy", m.next_noisy},
                    {"ratio", num(m.ratio)},
                    {"shift_pct", num(m.shift_pct)},
                    {"shift_ci_low_pct", num(m.shift_ci_low_pct)},
                    {"shift_ci_high_pct", num(m.shift_ci_high_pct)},
                    {"u", m.u},
                    {"p", num(m.p)},
                    {"p_adjusted", num(m.p_adjusted)},
                    {"threshold_pct", m.threshold_pct},
                    {"verdict", to_string(m.verdict)},
                    {"note", m.note}});
    ojson row = key_json(r.key);
    row["workload"] = r.workload;
    row["kind"] = r.kind;
    row["baseline"] = r.baseline;
    row["metrics"] = ms;
    rows.push_back(row);
  }
  ojson dps = ojson::array();
  for (const DatapathSummary& d : c.datapaths)
    dps.push_back({{"variant", d.variant}, {"metric", d.metric}, {"direction", to_string(d.direction)},
                   {"rows", d.rows}, {"geomean_ratio", num(d.geomean_ratio)}, {"better", d.better},
                   {"worse", d.worse}, {"changed", d.changed}});
  ojson only_b = ojson::array(), only_n = ojson::array();
  for (const auto& k : c.only_in_base) only_b.push_back(key_json(k));
  for (const auto& k : c.only_in_next) only_n.push_back(key_json(k));
  ojson thresholds = ojson::object();
  for (const auto& [m, t] : c.options.thresholds_pct) thresholds[m] = t;
  ojson j = {{"benchlab_compare", 1},
             {"base", c.base_label},
             {"next", c.next_label},
             {"options",
              {{"alpha", c.options.alpha},
               {"correction", to_string(c.options.correction)},
               {"mode", to_string(c.options.mode)},
               {"threshold_pct", c.options.threshold_pct},
               {"thresholds_pct", thresholds},
               {"metrics", c.options.metrics},
               {"noise_limit_pct", num(c.options.noise_limit_pct)}}},
             {"comparisons", c.comparisons},
             {"min_attainable_p", c.min_attainable_p},
             {"can_reach_alpha", c.can_reach_alpha},
             {"counts",
              {{"worse", c.count(Verdict::worse)},
               {"better", c.count(Verdict::better)},
               {"changed", c.count(Verdict::changed)},
               {"no_change", c.count(Verdict::no_change)},
               {"cannot_judge", c.count(Verdict::cannot_judge)}}},
             {"rows", rows},
             {"only_in_base", only_b},
             {"only_in_next", only_n},
             {"datapaths", dps},
             {"warnings", c.warnings}};
  return nlohmann::json::parse(j.dump());   // keep the order above in the text: dump of an ordered_json
}

std::string compare_console(const CompareResult& c) {
  std::string out = header(c);
  auto to = std::back_inserter(out);
  for (const auto& w : c.warnings) fmt::format_to(to, "warning: {}\n", w);
  std::string cell;
  for (const RowComparison& r : c.rows) {
    if (r.metrics.empty()) continue;
    if (r.key.cell_label != cell) {
      cell = r.key.cell_label;
      fmt::format_to(to, "\n{}\n  {:<16} {:<34} {:>16} {:>16} {:>7}  {:<26} {:>8}  {}\n", cell, "datapath", "metric",
                     "BASE ±CV", "NEW ±CV", "ratio", "shift [CI]", "p(adj)", "verdict");
    }
    for (const MetricComparison& m : r.metrics)
      fmt::format_to(to, "  {:<16} {:<34} {:>16} {:>16} {:>7}  {:<26} {:>8}  {}\n", r.key.variant, metric_label(m),
                     side(m.base_median * m.display_scale, m.base_cv_pct, m.base_noisy, m.n_base),
                     side(m.next_median * m.display_scale, m.next_cv_pct, m.next_noisy, m.n_next),
                     m.verdict == Verdict::cannot_judge ? "-" : fmt::format("×{:.3f}", m.ratio), shift_text(m),
                     m.verdict == Verdict::cannot_judge ? "-" : fmt::format("{:.3g}", m.p_adjusted), verdict_text(m));
  }
  for (const auto& k : c.only_in_base) fmt::format_to(to, "only in BASE: {} {}\n", k.cell_label, k.variant);
  for (const auto& k : c.only_in_next) fmt::format_to(to, "only in NEW:  {} {}\n", k.cell_label, k.variant);
  if (!c.datapaths.empty()) {
    fmt::format_to(to, "\ngeometric mean of NEW/BASE median ratios, per datapath and metric\n  {:<16} {:<34} {:>5} {:>9}  {}\n",
                   "datapath", "metric", "rows", "geomean", "better/worse");
    for (const DatapathSummary& d : c.datapaths)
      fmt::format_to(to, "  {:<16} {:<34} {:>5} {:>9}  {}/{}\n", d.variant, d.metric, d.rows,
                     fmt::format("×{:.3f}", d.geomean_ratio), d.better, d.worse);
  }
  fmt::format_to(to, "\n{}\n", tally(c));
  return out;
}

std::string compare_markdown(const CompareResult& c) {
  std::string out = "**benchlab compare** " + header(c) + "\n";
  auto to = std::back_inserter(out);
  for (const auto& w : c.warnings) fmt::format_to(to, "> warning: {}\n\n", w);
  out += "| cell | datapath | metric | BASE ±CV | NEW ±CV | ratio | shift [CI] | p (adj.) | verdict |\n";
  out += "|---|---|---|---:|---:|---:|---|---:|---|\n";
  for (const RowComparison& r : c.rows)
    for (const MetricComparison& m : r.metrics) {
      std::string v = verdict_text(m);
      if (m.verdict == Verdict::worse || m.verdict == Verdict::better || m.verdict == Verdict::changed) v = "**" + v + "**";
      fmt::format_to(to, "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", r.key.cell_label, r.key.variant, metric_label(m),
                     side(m.base_median * m.display_scale, m.base_cv_pct, m.base_noisy, m.n_base),
                     side(m.next_median * m.display_scale, m.next_cv_pct, m.next_noisy, m.n_next),
                     m.verdict == Verdict::cannot_judge ? "-" : fmt::format("×{:.3f}", m.ratio), shift_text(m),
                     m.verdict == Verdict::cannot_judge ? "-" : fmt::format("{:.3g}", m.p_adjusted), v);
    }
  if (!c.only_in_base.empty() || !c.only_in_next.empty()) {
    out += "\n";
    for (const auto& k : c.only_in_base) fmt::format_to(to, "- only in BASE: `{}` {}\n", k.cell_label, k.variant);
    for (const auto& k : c.only_in_next) fmt::format_to(to, "- only in NEW: `{}` {}\n", k.cell_label, k.variant);
  }
  if (!c.datapaths.empty()) {
    out += "\n| datapath | metric | rows | geomean NEW/BASE | better | worse |\n|---|---|---:|---:|---:|---:|\n";
    for (const DatapathSummary& d : c.datapaths)
      fmt::format_to(to, "| {} | {} | {} | ×{:.3f} | {} | {} |\n", d.variant, d.metric, d.rows, d.geomean_ratio,
                     d.better, d.worse);
  }
  fmt::format_to(to, "\n{}\n", tally(c));
  return out;
}

}  // namespace benchlab::reports
