// The console table: the summary as a person reads it after a run. Numbers come from the
// summary rows only; this file formats, it never computes a statistic.
#include <cmath>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "benchlab/reports/report.hpp"

namespace benchlab::reports {
namespace {

struct Column {
  const char* header;
  const char* metric;   // DerivedRun field name
  double scale;         // multiply the stored value by this to get the header's unit
};

constexpr Column kColumns[] = {
    {"throughput Gbit/s", "throughput_bps", 1e-9},
    {"transactions/s", "transactions_per_s", 1},
    {"p50 µs", "p50_us", 1},
    {"p99 µs", "p99_us", 1},
    {"CPU s/GB", "cpu_s_per_gb", 1},
};
constexpr int kValueWidth = 9;
constexpr int kColumnWidth = 18;   // value, space, "×" ratio, padding
constexpr int kDatapathWidth = 14;

// About four significant digits without switching to exponent notation.
std::string number(double v) {
  const double a = std::abs(v);
  if (a >= 1000) return fmt::format("{:.0f}", v);
  if (a >= 100) return fmt::format("{:.1f}", v);
  if (a >= 10) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3f}", v);
}

std::string metric_cell(const SummaryRow& row, const Column& c, bool is_baseline) {
  auto it = row.metrics.find(c.metric);
  // A zero median means "not measured here" (no latency in a stream test, no transactions).
  if (it == row.metrics.end() || it->second.n == 0 || it->second.median == 0)
    return fmt::format("{:>{}}", "-", kValueWidth);
  const MetricSummary& m = it->second;
  std::string s = fmt::format("{:>{}}", number(m.median * c.scale), kValueWidth);
  if (!is_baseline && m.ratio_to_baseline > 0) s += fmt::format(" ×{:.2f}", m.ratio_to_baseline);
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
    summarize(summarised, report.summary_baseline);
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
  fmt::format_to(to, "{}: {} runs ({} ok, {} failed, {} skipped); medians over repetitions, ×ratio to {}\n",
      r->scenario.name.empty() ? "report" : r->scenario.name, r->runs.size(), ok, failed, skipped,
      r->summary_baseline);
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

  std::string header = fmt::format("  {:<{}} {:>3}", "datapath", kDatapathWidth, "n");
  for (const Column& c : kColumns) header += fmt::format("  {:<{}}", c.header, kColumnWidth);
  header = rstrip(header);

  size_t i = 0;
  while (i < r->summary.size()) {
    const std::string& label = r->summary[i].cell_label;
    fmt::format_to(to, "\n{}\n{}\n", label, header);
    size_t j = i;
    for (; j < r->summary.size() && r->summary[j].cell_label == label; ++j) {
      const SummaryRow& row = r->summary[j];
      const bool is_baseline = row.datapath == r->summary_baseline;
      std::string line = fmt::format("  {:<{}} {:>3}", row.datapath, kDatapathWidth, row.ok_runs);
      for (const Column& c : kColumns) line += fmt::format("  {:<{}}", metric_cell(row, c, is_baseline), kColumnWidth);
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
        if (p.kind == kind && p.datapath == run.datapath && p.reason == reason) {
          p.reps.push_back(run.repetition);
          return;
        }
      problems.push_back({std::move(kind), run.datapath, std::move(reason), {run.repetition}});
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
