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

RunRecord rr_run() {
  RunRecord r;
  r.cell = make_cell("tcp_rr", 64);
  r.datapath = "kernel";
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
  const DerivedRun d = derive(rr_run());
  EXPECT_DOUBLE_EQ(d.window_s, 3);
  EXPECT_DOUBLE_EQ(d.throughput_bps, 8.0 * 4000 / 3);
  EXPECT_DOUBLE_EQ(d.messages_per_s, 30.0 / 3);
  EXPECT_DOUBLE_EQ(d.transactions_per_s, 15.0 / 3);
}

TEST(Derive, CpuFromPerCpuDeltas) {
  const DerivedRun d = derive(rr_run());
  // busy = user + nice + system + irq + softirq + steal; iowait and idle are not busy.
  const double busy0 = 1 + 0.5 + 2 + 0.25 + 0.25 + 0, busy1 = 2 + 0 + 1 + 0 + 1 + 0.5;
  EXPECT_DOUBLE_EQ(d.cpu_busy_s, busy0 + busy1);
  EXPECT_DOUBLE_EQ(d.cpu_user_s, 3);
  EXPECT_DOUBLE_EQ(d.cpu_system_s, 3);
  EXPECT_DOUBLE_EQ(d.cpu_softirq_s, 1.25);
  EXPECT_DOUBLE_EQ(d.cpu_idle_s, 7);
  EXPECT_DOUBLE_EQ(d.cpu_s_per_gb, (busy0 + busy1) / (4000 / 1e9));
  EXPECT_DOUBLE_EQ(d.cpu_us_per_transaction, (busy0 + busy1) * 1e6 / 15);
}

TEST(Derive, LatencyPercentilesInMicroseconds) {
  const RunRecord r = rr_run();
  const DerivedRun d = derive(r);
  EXPECT_DOUBLE_EQ(d.p50_us, 0.1);
  EXPECT_DOUBLE_EQ(d.p90_us, 0.2);
  EXPECT_DOUBLE_EQ(d.p99_us, 0.2);
  EXPECT_DOUBLE_EQ(d.p999_us, 0.25);
  EXPECT_DOUBLE_EQ(d.max_us, 0.25);
}

TEST(Derive, UndefinedFiguresAreZeroNotNaN) {
  RunRecord r;
  r.result.samples = {{0, 1, 100, 1, 1, true}};   // warm-up only
  r.cpu_begin = {0, {{1, 1, 1, 1, 1, 1, 1, 1}}};
  r.cpu_end = {1, {{2, 1, 1, 1, 1, 1, 1, 1}}};
  const DerivedRun d = derive(r);
  for (const DerivedField& f : derived_fields()) EXPECT_FALSE(std::isnan(d.*f.member)) << f.name;
  EXPECT_EQ(d.throughput_bps, 0);
  EXPECT_EQ(d.transactions_per_s, 0);
  EXPECT_EQ(d.p99_us, 0);
  EXPECT_EQ(d.cpu_busy_s, 1);
  EXPECT_EQ(d.cpu_s_per_gb, 0) << "no measured bytes";
  EXPECT_EQ(d.cpu_us_per_transaction, 0);
  EXPECT_EQ(d.window_s, 0);
}

TEST(Derive, CpuCountersGoingBackwardsCountNothing) {
  RunRecord r;
  r.cpu_begin = {0, {{5, 0, 5, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0}}};
  r.cpu_end = {1, {{1, 0, 6, 0, 0, 0, 0, 0}}};   // CPU 1 went away, CPU 0's user reset
  EXPECT_DOUBLE_EQ(derive(r).cpu_busy_s, 1);
}

TEST(DerivedFields, NameEveryFieldOnce) {
  EXPECT_EQ(derived_fields().size(), sizeof(DerivedRun) / sizeof(double));
  std::set<std::string> names;
  for (const DerivedField& f : derived_fields()) names.insert(f.name);
  EXPECT_EQ(names.size(), derived_fields().size());
}

TEST(Summarize, MediansQuartilesAndRatios) {
  Report rep;
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
  EXPECT_DOUBLE_EQ(k.ratio_to_baseline, 1);

  const MetricSummary& s = sockmap.metrics.at("throughput_bps");
  EXPECT_EQ(s.n, 3) << "the failed run is not measured";
  EXPECT_DOUBLE_EQ(s.median, 60e9);
  EXPECT_DOUBLE_EQ(s.ratio_to_baseline, 60.0 / 25.0);
  EXPECT_EQ(sockmap.ok_runs, 3);
  EXPECT_EQ(sockmap.failed_runs, 1);
  EXPECT_EQ(sockmap.skipped_runs, 0);

  EXPECT_EQ(xdp.ok_runs, 0);
  EXPECT_EQ(xdp.skipped_runs, 1);
  EXPECT_EQ(xdp.metrics.at("throughput_bps").n, 0);
  EXPECT_EQ(xdp.metrics.at("throughput_bps").ratio_to_baseline, 0);

  EXPECT_DOUBLE_EQ(lone.metrics.at("throughput_bps").median, 80e9);
  EXPECT_EQ(lone.metrics.at("throughput_bps").ratio_to_baseline, 0) << "no kernel run in that cell";

  // A metric the baseline does not have (no latency here) has no ratio either.
  EXPECT_EQ(sockmap.metrics.at("p99_us").ratio_to_baseline, 0);
  EXPECT_EQ(sockmap.metrics.size(), derived_fields().size());
}

TEST(Summarize, OtherBaselineAndCellOrder) {
  Report rep;
  const Cell a = make_cell("tcp_rr", 64), b = make_cell("tcp_stream", 1024);
  rep.runs.push_back(run_with_throughput(b, "kernel", 0, 10e9));
  rep.runs.push_back(run_with_throughput(b, "sockmap", 0, 20e9));
  rep.runs.push_back(run_with_throughput(a, "kernel", 0, 1e9));
  summarize(rep, "sockmap");
  ASSERT_EQ(rep.summary.size(), 3u);
  EXPECT_EQ(rep.summary_baseline, "sockmap");
  EXPECT_EQ(rep.summary[0].cell_label, "tcp_stream/1024B/1flow/cross-core") << "cells in order of appearance";
  EXPECT_EQ(rep.summary[0].datapath, "sockmap");
  EXPECT_DOUBLE_EQ(rep.summary[1].metrics.at("throughput_bps").ratio_to_baseline, 0.5);
  EXPECT_EQ(rep.summary[2].cell_label, "tcp_rr/64B/1flow/cross-core");

  summarize(rep);   // again: replaces, does not append
  EXPECT_EQ(rep.summary.size(), 3u);
  EXPECT_EQ(rep.summary[0].datapath, "kernel");
}

}  // namespace
}  // namespace benchlab::reports
