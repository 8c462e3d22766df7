// Derive: per-run figures from raw records, by the report's metric table. Summarize: statistics
// over repetitions. Both read only what was collected, so a report file can be re-summarised
// offline.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "benchlab/core/stats.hpp"
#include "benchlab/reports/report.hpp"

namespace benchlab::reports {

std::vector<MetricSpec> metrics_of(const MetricTable& t, const std::string& workload, const std::string& datapath) {
  std::vector<MetricSpec> out = t.common;
  auto add = [&](const std::map<std::string, std::vector<MetricSpec>>& m, const std::string& key) {
    auto it = m.find(key);
    if (it == m.end()) return;
    for (const MetricSpec& s : it->second)
      if (std::none_of(out.begin(), out.end(), [&](const MetricSpec& x) { return x.name == s.name; })) out.push_back(s);
  };
  add(t.workloads, workload);
  add(t.datapaths, datapath);
  return out;
}

std::vector<std::pair<std::string, double>> derive(const MetricTable& t, const RunRecord& r) {
  const RunData data{r.result, r.cpu_begin, r.cpu_end, r.counters_delta};
  std::vector<std::pair<std::string, double>> out;
  for (const MetricSpec& m : metrics_of(t, r.cell.workload(), r.datapath)) out.emplace_back(m.name, derive_metric(m, data));
  return out;
}

void summarize(Report& report) {
  struct Group {
    SummaryRow row;
    std::vector<std::vector<std::pair<std::string, double>>> derived;
  };
  // Cells in order of first appearance; within a cell, variants in order of first appearance.
  std::vector<std::string> cell_order;
  std::map<std::string, std::vector<std::string>> variant_order;
  std::map<std::pair<std::string, std::string>, Group> groups;

  for (const RunRecord& run : report.runs) {
    const std::string& label = run.cell.label();
    auto& vs = variant_order[label];
    if (vs.empty()) cell_order.push_back(label);
    if (std::find(vs.begin(), vs.end(), run.variant) == vs.end()) vs.push_back(run.variant);

    Group& g = groups[{label, run.variant}];
    g.row.cell_label = label;
    g.row.cell = run.cell;
    g.row.datapath = run.datapath;
    g.row.variant = run.variant;
    switch (run.status) {
      case RunStatus::ok:
        ++g.row.ok_runs;
        g.derived.push_back(derive(report.metrics, run));
        break;
      case RunStatus::failed: ++g.row.failed_runs; break;
      case RunStatus::skipped: ++g.row.skipped_runs; break;
    }
  }

  report.summary.clear();
  // Each summary row's values per metric, for the tests against the baseline below.
  std::vector<std::map<std::string, std::vector<double>>> values;
  struct Test {
    size_t row;
    std::string metric;
    double p;
  };
  std::vector<Test> tests;
  const double noise_limit = report.scenario.noise_limit_pct;
  for (const std::string& label : cell_order) {
    std::vector<std::string> vs = variant_order[label];
    const std::string workload = groups[{label, vs.front()}].row.cell.workload();   // a copy: rows move below
    auto kind_it = report.metrics.workload_kinds.find(workload);
    const std::string kind = kind_it == report.metrics.workload_kinds.end() ? "" : kind_it->second;
    auto base_it = report.metrics.baselines.find(kind);
    const std::string baseline = base_it == report.metrics.baselines.end() ? "" : base_it->second;
    // The baseline row first (a baseline has no axes, so its variant is its name).
    std::stable_partition(vs.begin(), vs.end(), [&](const std::string& v) { return v == baseline; });

    const size_t first = report.summary.size();
    for (const std::string& v : vs) {
      Group& g = groups[{label, v}];
      g.row.kind = kind;
      g.row.baseline = std::find(vs.begin(), vs.end(), baseline) != vs.end() ? baseline : "";
      std::map<std::string, std::vector<double>> row_values;
      for (const MetricSpec& spec : metrics_of(report.metrics, workload, g.row.datapath)) {
        std::vector<double> xs;
        xs.reserve(g.derived.size());
        for (const auto& d : g.derived)
          for (const auto& [name, x] : d)
            if (name == spec.name) xs.push_back(x);
        MetricSummary m;
        m.n = static_cast<int>(xs.size());
        if (!xs.empty()) {
          const stats::Quartiles q = stats::quartiles(xs);
          m.median = q.median;
          m.q1 = q.q1;
          m.q3 = q.q3;
          m.iqr = q.iqr();
          m.min = *std::min_element(xs.begin(), xs.end());
          m.max = *std::max_element(xs.begin(), xs.end());
          const double cv = stats::cv_pct(xs);
          m.cv_pct = std::isfinite(cv) ? cv : 0;
          m.noisy = std::isfinite(cv) && cv > noise_limit;
          const stats::Interval ci = stats::bootstrap_median_ci(xs);
          m.ci_low = ci.low;
          m.ci_high = ci.high;
        }
        g.row.metrics[spec.name] = m;
        row_values[spec.name] = std::move(xs);
      }
      report.summary.push_back(std::move(g.row));
      values.push_back(std::move(row_values));
    }

    size_t base_index = report.summary.size();
    for (size_t i = first; i < report.summary.size(); ++i)
      if (report.summary[i].variant == baseline) base_index = i;
    if (base_index == report.summary.size()) continue;
    const SummaryRow* base = &report.summary[base_index];
    for (size_t i = first; i < report.summary.size(); ++i) {
      for (auto& [name, m] : report.summary[i].metrics) {
        auto b = base->metrics.find(name);
        if (m.n == 0 || b == base->metrics.end() || b->second.n == 0) continue;
        if (b->second.median != 0) m.ratio_to_baseline = m.median / b->second.median;
        if (i == base_index) continue;
        const auto specs = metrics_of(report.metrics, workload, report.summary[i].datapath);
        const auto spec = std::find_if(specs.begin(), specs.end(), [&metric = name](const MetricSpec& x) { return x.name == metric; });
        if (spec == specs.end() || !spec->headline || spec->direction == Direction::neither) continue;
        const auto r = stats::mann_whitney_u(values[i][name], values[base_index][name]);
        tests.push_back({i, name, r.p});
      }
    }
  }

  // The same test compare uses, within the report: Benjamini-Hochberg over every datapath x
  // headline metric tested against its baseline, so a marked ratio is one the data supports.
  std::vector<double> ps;
  for (const Test& t : tests) ps.push_back(t.p);
  const std::vector<double> adjusted = stats::benjamini_hochberg(ps);
  for (size_t k = 0; k < tests.size(); ++k) {
    MetricSummary& m = report.summary[tests[k].row].metrics[tests[k].metric];
    m.p_vs_baseline = adjusted[k];
    m.significant = adjusted[k] < kSummaryAlpha;
  }
}

}  // namespace benchlab::reports
