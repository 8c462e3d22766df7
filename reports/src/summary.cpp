// Derive: per-run figures from raw records. Summarize: statistics over repetitions. Both read
// only what was collected, so a report file can be re-summarised offline.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "benchlab/core/stats.hpp"
#include "benchlab/reports/report.hpp"

namespace benchlab::reports {
namespace {

// Undefined figures (nothing measured, nothing to divide by) are reported as 0, never NaN:
// NaN does not survive JSON and would poison every statistic taken over it.
double ratio(double num, double den) {
  if (den == 0) return 0;
  const double r = num / den;
  return std::isfinite(r) ? r : 0;
}

// A counter that went backwards (CPU hot-unplug, a reset) contributes nothing.
double delta(double end, double begin) { return std::max(0.0, end - begin); }

constexpr std::array kDerivedFields{
    DerivedField{"window_s", &DerivedRun::window_s},
    DerivedField{"throughput_bps", &DerivedRun::throughput_bps},
    DerivedField{"messages_per_s", &DerivedRun::messages_per_s},
    DerivedField{"transactions_per_s", &DerivedRun::transactions_per_s},
    DerivedField{"p50_us", &DerivedRun::p50_us},
    DerivedField{"p90_us", &DerivedRun::p90_us},
    DerivedField{"p99_us", &DerivedRun::p99_us},
    DerivedField{"p999_us", &DerivedRun::p999_us},
    DerivedField{"max_us", &DerivedRun::max_us},
    DerivedField{"cpu_busy_s", &DerivedRun::cpu_busy_s},
    DerivedField{"cpu_user_s", &DerivedRun::cpu_user_s},
    DerivedField{"cpu_system_s", &DerivedRun::cpu_system_s},
    DerivedField{"cpu_softirq_s", &DerivedRun::cpu_softirq_s},
    DerivedField{"cpu_idle_s", &DerivedRun::cpu_idle_s},
    DerivedField{"cpu_s_per_gb", &DerivedRun::cpu_s_per_gb},
    DerivedField{"cpu_us_per_transaction", &DerivedRun::cpu_us_per_transaction},
};

}  // namespace

std::span<const DerivedField> derived_fields() { return kDerivedFields; }

DerivedRun derive(const RunRecord& r) {
  DerivedRun d;

  double bytes = 0, messages = 0, transactions = 0, seconds = 0;
  for (const auto& s : r.result.samples) {
    if (s.warmup || s.cooldown) continue;
    bytes += static_cast<double>(s.bytes);
    messages += static_cast<double>(s.messages);
    transactions += static_cast<double>(s.transactions);
    seconds += s.duration_s;
  }
  d.window_s = r.result.window_s > 0 ? r.result.window_s : seconds;
  d.throughput_bps = ratio(8 * bytes, seconds);
  d.messages_per_s = ratio(messages, seconds);
  d.transactions_per_s = ratio(transactions, seconds);

  if (r.result.latency_ns && r.result.latency_ns->count() > 0) {
    const Histogram& h = *r.result.latency_ns;
    auto us = [&](double q) { return static_cast<double>(h.percentile(q)) / 1e3; };
    d.p50_us = us(0.50);
    d.p90_us = us(0.90);
    d.p99_us = us(0.99);
    d.p999_us = us(0.999);
    d.max_us = static_cast<double>(h.max()) / 1e3;
  }

  // Only CPUs present in both snapshots can be differenced.
  const size_t ncpu = std::min(r.cpu_begin.per_cpu.size(), r.cpu_end.per_cpu.size());
  for (size_t i = 0; i < ncpu; ++i) {
    const CpuTimes& b = r.cpu_begin.per_cpu[i];
    const CpuTimes& e = r.cpu_end.per_cpu[i];
    const double user = delta(e.user_s, b.user_s), nice = delta(e.nice_s, b.nice_s),
                 system = delta(e.system_s, b.system_s), irq = delta(e.irq_s, b.irq_s),
                 softirq = delta(e.softirq_s, b.softirq_s), steal = delta(e.steal_s, b.steal_s);
    d.cpu_busy_s += user + nice + system + irq + softirq + steal;
    d.cpu_user_s += user;
    d.cpu_system_s += system;
    d.cpu_softirq_s += softirq;
    d.cpu_idle_s += delta(e.idle_s, b.idle_s);
  }
  d.cpu_s_per_gb = ratio(d.cpu_busy_s, bytes / 1e9);
  d.cpu_us_per_transaction = ratio(d.cpu_busy_s * 1e6, transactions);
  return d;
}

void summarize(Report& report, const std::string& baseline) {
  struct Group {
    SummaryRow row;
    std::vector<DerivedRun> derived;
  };
  // Cells in order of first appearance; within a cell, datapaths in order of first appearance.
  std::vector<std::string> cell_order;
  std::map<std::string, std::vector<std::string>> datapath_order;
  std::map<std::pair<std::string, std::string>, Group> groups;

  for (const RunRecord& run : report.runs) {
    const std::string label = run.cell.label();
    auto& dps = datapath_order[label];
    if (dps.empty()) cell_order.push_back(label);
    if (std::find(dps.begin(), dps.end(), run.datapath) == dps.end()) dps.push_back(run.datapath);

    Group& g = groups[{label, run.datapath}];
    g.row.cell_label = label;
    g.row.cell = run.cell;
    g.row.datapath = run.datapath;
    switch (run.status) {
      case RunStatus::ok:
        ++g.row.ok_runs;
        g.derived.push_back(derive(run));
        break;
      case RunStatus::failed: ++g.row.failed_runs; break;
      case RunStatus::skipped: ++g.row.skipped_runs; break;
    }
  }

  report.summary.clear();
  report.summary_baseline = baseline;
  for (const std::string& label : cell_order) {
    auto dps = datapath_order[label];
    std::stable_partition(dps.begin(), dps.end(), [&](const std::string& d) { return d == baseline; });

    const size_t first = report.summary.size();
    for (const std::string& dp : dps) {
      Group& g = groups[{label, dp}];
      for (const DerivedField& f : derived_fields()) {
        std::vector<double> xs;
        xs.reserve(g.derived.size());
        for (const DerivedRun& d : g.derived) xs.push_back(d.*f.member);
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
        }
        g.row.metrics[f.name] = m;
      }
      report.summary.push_back(std::move(g.row));
    }

    const SummaryRow* base = nullptr;
    for (size_t i = first; i < report.summary.size(); ++i)
      if (report.summary[i].datapath == baseline) base = &report.summary[i];
    for (size_t i = first; i < report.summary.size(); ++i) {
      for (auto& [name, m] : report.summary[i].metrics) {
        if (!base || m.n == 0) continue;
        const MetricSummary& b = base->metrics.at(name);
        if (b.n > 0) m.ratio_to_baseline = ratio(m.median, b.median);
      }
    }
  }
}

}  // namespace benchlab::reports
