// The console table: the summary as a person reads it after a run. Numbers come from the
// summary rows only; this file formats, it never computes a statistic.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "benchlab/reports/report.hpp"

namespace benchlab::reports {
namespace {

constexpr int kValueWidth = 9;
constexpr int kColumnWidth = 27;   // value, "±" CV, "×" ratio and mark, padding
constexpr int kDatapathWidth = 16;

// About four significant digits without switching to exponent notation.
std::string number(double v) {
  const double a = std::abs(v);
  if (a >= 1000) return fmt::format("{:.0f}", v);
  if (a >= 100) return fmt::format("{:.1f}", v);
  if (a >= 10) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3f}", v);
}

// A column: one headline metric, with its header in the unit it is shown in.
std::string header_of(const MetricSpec& m) {
  const std::string unit = m.display_unit.empty() ? m.unit : m.display_unit;
  if (unit.rfind("CPU", 0) == 0) return unit;   // "CPU s/GB": the unit says it all
  std::string name = m.name;
  // The unit follows in the header: "p50_us" reads "p50 µs", "throughput_bps" "throughput Gbit/s".
  for (const char* suffix : {"_per_s", "_bps", "_pps", "_us", "_ns", "_pct", "_s"}) {
    const std::string x = suffix;
    if (name.size() > x.size() && name.compare(name.size() - x.size(), x.size(), x) == 0) {
      name.resize(name.size() - x.size());
      break;
    }
  }
  return name + " " + unit;
}

std::string metric_cell(const SummaryRow& row, const MetricSpec& c, bool is_baseline) {
  auto it = row.metrics.find(c.name);
  if (it == row.metrics.end() || it->second.n == 0) return fmt::format("{:>{}}", "-", kValueWidth);
  const MetricSummary& m = it->second;
  std::string s = fmt::format("{:>{}}", number(m.median * c.display_scale), kValueWidth);
  // The spread beside the median: the coefficient of variation over repetitions, "!" above the
  // scenario's noise limit.
  const std::string cv = m.n < 2 ? "" : m.cv_pct < 10 ? fmt::format("±{:.1f}%", m.cv_pct) : fmt::format("±{:.0f}%", m.cv_pct);
  s += fmt::format(" {:<7}", cv + (m.noisy ? "!" : ""));
  // "*": the difference from the baseline is significant (Mann-Whitney, BH-adjusted).
  if (!is_baseline && m.ratio_to_baseline) s += fmt::format(" ×{:.2f}{}", *m.ratio_to_baseline, m.significant ? "*" : "");
  return s;
}

std::string rstrip(std::string s) {
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

std::string first_line(const std::string& s) {
  const std::string line = s.substr(0, s.find('\n'));
  return line.empty() ? "(no reason recorded)" : line;
}

}  // namespace

std::string console_table(const Report& report) {
  // A report read from disk or built by the runner is summarised already; one assembled by
  // hand may not be, and the table must not depend on the caller remembering.
  const Report* r = &report;
  Report summarised;
  if (report.summary.empty() && !report.runs.empty()) {
    summarised = report;
    summarize(summarised);
    r = &summarised;
  }

  int ok = 0, failed = 0, skipped = 0;
  for (const auto& run : r->runs) {
    if (run.status == RunStatus::ok) ++ok;
    if (run.status == RunStatus::failed) ++failed;
    if (run.status == RunStatus::skipped) ++skipped;
  }

  std::string out;
  auto to = std::back_inserter(out);
  std::string baselines;
  for (const auto& [kind, dp] : r->metrics.baselines) baselines += (baselines.empty() ? "" : ", ") + dp + " (" + kind + ")";
  fmt::format_to(to, "{}: {} runs ({} ok, {} failed, {} skipped); medians over repetitions, ×ratio to {}\n",
      r->scenario.name.empty() ? "report" : r->scenario.name, r->runs.size(), ok, failed, skipped,
      baselines.empty() ? std::string("no baseline") : baselines);
  fmt::format_to(to,
                 "  ±: coefficient of variation over repetitions, !: above the noise limit {}%; *: differs from the "
                 "baseline (Mann-Whitney, Benjamini-Hochberg p < {})\n",
                 r->scenario.noise_limit_pct, kSummaryAlpha);
  for (const auto& x : r->scenario.not_run)
    fmt::format_to(to, "  not run: {} in {} cells: {}\n", x.datapath, x.workload, x.reason);
  // An incomplete report says so before its numbers (context.interrupted, reports/README.md).
  if (r->context.is_object() && r->context.contains("interrupted") && r->context["interrupted"].is_object()) {
    const auto& in = r->context["interrupted"];
    const auto reason = in.find("reason");
    fmt::format_to(to, "INTERRUPTED: {}", reason != in.end() && reason->is_string() ? reason->get<std::string>() : "");
    const auto done = in.find("completed_runs"), planned = in.find("planned_runs");
    if (done != in.end() && planned != in.end() && done->is_number_unsigned() && planned->is_number_unsigned())
      fmt::format_to(to, " ({} of {} runs completed)", done->get<uint64_t>(), planned->get<uint64_t>());
    out += '\n';
  }


  size_t i = 0;
  while (i < r->summary.size()) {
    const std::string& label = r->summary[i].cell_label;
    // Columns: the headline metrics of the cell's rows (the workload's, and a datapath's if it declares one).
    std::vector<MetricSpec> columns;
    for (size_t j = i; j < r->summary.size() && r->summary[j].cell_label == label; ++j)
      for (const MetricSpec& m : metrics_of(r->metrics, r->summary[j].cell.workload(), r->summary[j].datapath))
        if (m.headline && std::none_of(columns.begin(), columns.end(), [&](const MetricSpec& c) { return c.name == m.name; }))
          columns.push_back(m);
    std::string header = fmt::format("  {:<{}} {:>3}", "datapath", kDatapathWidth, "n");
    for (const MetricSpec& c : columns) header += fmt::format("  {:<{}}", header_of(c), kColumnWidth);
    fmt::format_to(to, "\n{}\n{}\n", label, rstrip(header));
    size_t j = i;
    for (; j < r->summary.size() && r->summary[j].cell_label == label; ++j) {
      const SummaryRow& row = r->summary[j];
      const bool is_baseline = row.variant == row.baseline;
      std::string line = fmt::format("  {:<{}} {:>3}", row.variant, kDatapathWidth, row.ok_runs);
      for (const MetricSpec& c : columns) line += fmt::format("  {:<{}}", metric_cell(row, c, is_baseline), kColumnWidth);
      out += rstrip(line) + '\n';
    }
    // Problems in this cell, one line per distinct (kind, datapath, reason), in run order:
    // a datapath skipped for the same reason in every repetition is one line, not three.
    struct Problem {
      std::string kind, datapath, reason;
      std::vector<int> reps;
    };
    std::vector<Problem> problems;
    auto note = [&](std::string kind, const RunRecord& run, std::string reason) {
      for (Problem& p : problems)
        if (p.kind == kind && p.datapath == run.variant && p.reason == reason) {
          p.reps.push_back(run.repetition);
          return;
        }
      problems.push_back({std::move(kind), run.variant, std::move(reason), {run.repetition}});
    };
    for (const auto& run : r->runs) {
      if (run.cell.label() != label) continue;
      if (run.status != RunStatus::ok) note(to_string(run.status), run, first_line(run.error));
      if (run.engagement.checked && !run.engagement.ok)
        note("not engaged", run,
             fmt::format("carried {:.1f}% of the traffic: {}", 100 * run.engagement.carried_share,
                         first_line(run.engagement.message)));
    }
    for (const Problem& p : problems)
      fmt::format_to(to, "  {:<11} {} rep{} {}: {}\n", p.kind, p.datapath, p.reps.size() > 1 ? "s" : "",
                     fmt::join(p.reps, ", "), p.reason);
    i = j;
  }
  return out;
}

}  // namespace benchlab::reports
