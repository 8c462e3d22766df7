// derive() and summarize() on hand-built records.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "benchlab/reports/report.hpp"
#include "fixtures.hpp"

namespace benchlab::reports {
namespace {

using testing::make_cell;
using testing::run_with_throughput;
using testing::socket_metric_table;

// One run's derived figures by name; fails the test for a metric the row does not have.
struct Derived {
  std::vector<std::pair<std::string, double>> values;
  double operator[](const std::string& name) const {
    for (const auto& [n, v] : values)
      if (n == name) return v;
    ADD_FAILURE() << "no metric " << name;
    return NAN;
  }
  bool has(const std::string& name) const {
    for (const auto& [n, v] : values)
      if (n == name) return true;
    return false;
  }
};
Derived derived(const RunRecord& r) { return {derive(socket_metric_table(), r)}; }
Report with_table() {
  Report rep;
  rep.metrics = socket_metric_table();
  return rep;
}

RunRecord rr_run() {
  RunRecord r;
  r.cell = make_cell("tcp_rr", 64);
  r.datapath = "kernel";
  r.variant = "kernel";
  // The warm-up interval is huge on purpose: if it leaked into any figure, the test would show it.
  r.result.samples = {
      {0, 1, 1'000'000'000, 1'000'000, 1'000'000, true},
      {1, 1, 1000, 10, 5, false},
      {2, 2, 3000, 20, 10, false},
  };
  r.result.window_s = 3;
  // Two CPUs. CPU 0: user 1, nice 0.5, system 2, idle 3, iowait 7, irq 0.25, softirq 0.25, steal 0
  // CPU 1: user 2, nice 0, system 1, idle 4, iowait 0, irq 0, softirq 1, steal 0.5
  r.cpu_begin = {10, {{100, 10, 200, 300, 50, 5, 6, 1}, {100, 10, 200, 300, 50, 5, 6, 1}}};
  r.cpu_end = {13, {{101, 10.5, 202, 303, 57, 5.25, 6.25, 1}, {102, 10, 201, 304, 50, 5, 7, 1.5}}};
  Histogram h;
  h.record(100, 50);   // values below 2^sub_bits are stored exactly
  h.record(200, 49);
  h.record(250, 1);
  r.result.latency_ns = h;
  return r;
}

TEST(Derive, UsesOnlyMeasuredSamples) {
  const Derived d = derived(rr_run());
  EXPECT_DOUBLE_EQ(d["window_s"], 3);
  EXPECT_DOUBLE_EQ(d["throughput_bps"], 8.0 * 4000 / 3);
  EXPECT_DOUBLE_EQ(d["transactions_per_s"], 15.0 / 3);
  RunRecord stream = rr_run();
  stream.cell = make_cell("tcp_stream", 64);
  EXPECT_DOUBLE_EQ(derived(stream)["messages_per_s"], 30.0 / 3);
}

TEST(Derive, EachWorkloadCarriesExactlyItsMetrics) {
  RunRecord stream = rr_run();
  stream.cell = make_cell("tcp_stream", 64);
  const Derived s = derived(stream), r = derived(rr_run());
  for (const char* m : {"p50_us", "p99_us", "max_us", "transactions_per_s", "cpu_us_per_transaction"})
    EXPECT_FALSE(s.has(m)) << "a stream row has no " << m;
  for (const char* m : {"throughput_bps", "messages_per_s", "cpu_s_per_gb", "window_s", "cpu_busy_s"})
    EXPECT_TRUE(s.has(m)) << m;
  for (const char* m : {"p50_us", "p90_us", "p99_us", "p999_us", "max_us", "transactions_per_s", "cpu_us_per_transaction"})
    EXPECT_TRUE(r.has(m)) << m;
  EXPECT_FALSE(r.has("cpu_s_per_gb"));
  // A datapath's own metric joins its rows only.
  RunRecord sm = stream;
  sm.datapath = sm.variant = "sockmap";
  sm.counters_delta = {{"sockmap.misses", 77}};
  EXPECT_DOUBLE_EQ(derived(sm)["miss_bytes"], 77);
  EXPECT_FALSE(s.has("miss_bytes"));
}

TEST(Derive, CpuFromPerCpuDeltas) {
  const Derived d = derived(rr_run());
  // busy = user + nice + system + irq + softirq + steal; iowait and idle are not busy.
  const double busy0 = 1 + 0.5 + 2 + 0.25 + 0.25 + 0, busy1 = 2 + 0 + 1 + 0 + 1 + 0.5;
  EXPECT_DOUBLE_EQ(d["cpu_busy_s"], busy0 + busy1);
  EXPECT_DOUBLE_EQ(d["cpu_user_s"], 3);
  EXPECT_DOUBLE_EQ(d["cpu_system_s"], 3);
  EXPECT_DOUBLE_EQ(d["cpu_softirq_s"], 1.25);
  EXPECT_DOUBLE_EQ(d["cpu_idle_s"], 7);
  EXPECT_DOUBLE_EQ(d["cpu_us_per_transaction"], (busy0 + busy1) * 1e6 / 15);
  RunRecord stream = rr_run();
  stream.cell = make_cell("tcp_stream", 64);
  EXPECT_DOUBLE_EQ(derived(stream)["cpu_s_per_gb"], (busy0 + busy1) / (4000 / 1e9));
}

TEST(Derive, LatencyPercentilesInMicroseconds) {
  const Derived d = derived(rr_run());
  EXPECT_DOUBLE_EQ(d["p50_us"], 0.1);
  EXPECT_DOUBLE_EQ(d["p90_us"], 0.2);
  EXPECT_DOUBLE_EQ(d["p99_us"], 0.2);
  EXPECT_DOUBLE_EQ(d["p999_us"], 0.25);
  EXPECT_DOUBLE_EQ(d["max_us"], 0.25);
}

TEST(Derive, UndefinedFiguresAreZeroNotNaN) {
  for (const char* w : {"tcp_rr", "tcp_stream"}) {
    RunRecord r;
    r.cell = make_cell(w, 64);
    r.result.samples = {{0, 1, 100, 1, 1, true}};   // warm-up only
    r.cpu_begin = {0, {{1, 1, 1, 1, 1, 1, 1, 1}}};
    r.cpu_end = {1, {{2, 1, 1, 1, 1, 1, 1, 1}}};
    const Derived d = derived(r);
    for (const auto& [name, v] : d.values) EXPECT_FALSE(std::isnan(v)) << name;
    EXPECT_EQ(d["throughput_bps"], 0);
    EXPECT_EQ(d["cpu_busy_s"], 1);
    EXPECT_EQ(d["window_s"], 0);
    if (std::string(w) == "tcp_rr") {
      EXPECT_EQ(d["transactions_per_s"], 0);
      EXPECT_EQ(d["p99_us"], 0);
      EXPECT_EQ(d["cpu_us_per_transaction"], 0);
    } else {
      EXPECT_EQ(d["cpu_s_per_gb"], 0) << "no measured bytes";
    }
  }
}

TEST(Derive, CpuCountersGoingBackwardsCountNothing) {
  RunRecord r;
  r.cell = make_cell("tcp_stream", 64);
  r.cpu_begin = {0, {{5, 0, 5, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0}}};
  r.cpu_end = {1, {{1, 0, 6, 0, 0, 0, 0, 0}}};   // CPU 1 went away, CPU 0's user reset
  EXPECT_DOUBLE_EQ(derived(r)["cpu_busy_s"], 1);
}

TEST(MetricTable, NamesEveryMetricOnceWithAUnit) {
  const MetricTable t = socket_metric_table();
  for (const auto& [w, ms] : t.workloads) {
    std::set<std::string> names;
    for (const MetricSpec& m : metrics_of(t, w, "sockmap")) {
      EXPECT_TRUE(names.insert(m.name).second) << w << ": " << m.name << " twice";
      EXPECT_EQ(check_metric(m), "") << w;
    }
  }
}

TEST(Summarize, MediansQuartilesAndRatios) {
  Report rep = with_table();
  const Cell a = make_cell("tcp_stream", 1024), b = make_cell("tcp_stream", 16384);
  // sockmap shows up first; the baseline must still lead its cell.
  rep.runs.push_back(run_with_throughput(a, "sockmap", 0, 50e9));
  rep.runs.push_back(run_with_throughput(a, "kernel", 0, 40e9));
  rep.runs.push_back(run_with_throughput(a, "kernel", 1, 10e9));
  rep.runs.push_back(run_with_throughput(a, "sockmap", 1, 70e9));
  rep.runs.push_back(run_with_throughput(a, "kernel", 2, 30e9));
  rep.runs.push_back(run_with_throughput(a, "kernel", 3, 20e9));
  rep.runs.push_back(run_with_throughput(a, "sockmap", 2, 60e9));
  RunRecord failed = run_with_throughput(a, "sockmap", 3, 1e9);
  failed.status = RunStatus::failed;
  rep.runs.push_back(failed);
  RunRecord skipped = run_with_throughput(a, "xdp", 0, 0);
  skipped.status = RunStatus::skipped;
  rep.runs.push_back(skipped);
  rep.runs.push_back(run_with_throughput(b, "sockmap", 0, 80e9));   // no baseline in this cell

  summarize(rep);
  ASSERT_EQ(rep.summary.size(), 4u);
  const SummaryRow &kernel = rep.summary[0], &sockmap = rep.summary[1], &xdp = rep.summary[2],
                   &lone = rep.summary[3];
  EXPECT_EQ(kernel.datapath, "kernel");
  EXPECT_EQ(kernel.cell_label, "tcp_stream/1024B/1flow/cross-core");
  EXPECT_EQ(sockmap.datapath, "sockmap");
  EXPECT_EQ(xdp.datapath, "xdp");
  EXPECT_EQ(lone.cell_label, "tcp_stream/16384B/1flow/cross-core");

  const MetricSummary& k = kernel.metrics.at("throughput_bps");
  EXPECT_EQ(k.n, 4);
  EXPECT_DOUBLE_EQ(k.median, 25e9);
  EXPECT_DOUBLE_EQ(k.q1, 17.5e9);
  EXPECT_DOUBLE_EQ(k.q3, 32.5e9);
  EXPECT_DOUBLE_EQ(k.iqr, 15e9);
  EXPECT_DOUBLE_EQ(k.min, 10e9);
  EXPECT_DOUBLE_EQ(k.max, 40e9);
  EXPECT_DOUBLE_EQ(*k.ratio_to_baseline, 1);
  EXPECT_EQ(kernel.baseline, "kernel");
  EXPECT_EQ(kernel.kind, "stream");

  const MetricSummary& s = sockmap.metrics.at("throughput_bps");
  EXPECT_EQ(s.n, 3) << "the failed run is not measured";
  EXPECT_DOUBLE_EQ(s.median, 60e9);
  EXPECT_DOUBLE_EQ(*s.ratio_to_baseline, 60.0 / 25.0);
  EXPECT_EQ(sockmap.ok_runs, 3);
  EXPECT_EQ(sockmap.failed_runs, 1);
  EXPECT_EQ(sockmap.skipped_runs, 0);

  EXPECT_EQ(xdp.ok_runs, 0);
  EXPECT_EQ(xdp.skipped_runs, 1);
  EXPECT_EQ(xdp.metrics.at("throughput_bps").n, 0);
  EXPECT_FALSE(xdp.metrics.at("throughput_bps").ratio_to_baseline);

  EXPECT_DOUBLE_EQ(lone.metrics.at("throughput_bps").median, 80e9);
  EXPECT_FALSE(lone.metrics.at("throughput_bps").ratio_to_baseline) << "no kernel run in that cell";
  EXPECT_EQ(lone.baseline, "");

  // A stream row carries no latency; the datapath's own metric is on its rows only, without a
  // ratio (the baseline has no such metric).
  EXPECT_FALSE(sockmap.metrics.count("p99_us"));
  EXPECT_EQ(sockmap.metrics.size(), metrics_of(rep.metrics, "tcp_stream", "sockmap").size());
  ASSERT_TRUE(sockmap.metrics.count("miss_bytes"));
  EXPECT_FALSE(sockmap.metrics.at("miss_bytes").ratio_to_baseline);
  EXPECT_FALSE(kernel.metrics.count("miss_bytes"));
}

TEST(Summarize, BaselinePerKindAndCellOrder) {
  Report rep = with_table();
  rep.metrics.baselines = {{"stream", "sockmap"}};
  const Cell a = make_cell("tcp_rr", 64), b = make_cell("tcp_stream", 1024);
  rep.runs.push_back(run_with_throughput(b, "kernel", 0, 10e9));
  rep.runs.push_back(run_with_throughput(b, "sockmap", 0, 20e9));
  rep.runs.push_back(run_with_throughput(a, "kernel", 0, 1e9));
  summarize(rep);
  ASSERT_EQ(rep.summary.size(), 3u);
  EXPECT_EQ(rep.summary[0].cell_label, "tcp_stream/1024B/1flow/cross-core") << "cells in order of appearance";
  EXPECT_EQ(rep.summary[0].datapath, "sockmap");
  EXPECT_DOUBLE_EQ(*rep.summary[1].metrics.at("throughput_bps").ratio_to_baseline, 0.5);
  EXPECT_EQ(rep.summary[2].cell_label, "tcp_rr/64B/1flow/cross-core");

  rep.metrics.baselines = {{"stream", "kernel"}};
  summarize(rep);   // again: replaces, does not append
  EXPECT_EQ(rep.summary.size(), 3u);
  EXPECT_EQ(rep.summary[0].datapath, "kernel");
}

}  // namespace
}  // namespace benchlab::reports
