// The console table.
#include <gtest/gtest.h>

#include <iostream>

#include "benchlab/reports/report.hpp"
#include "fixtures.hpp"

namespace benchlab::reports {
namespace {

using testing::make_cell;
using testing::run_with_throughput;

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(ConsoleTable, RatiosFailuresAndEngagement) {
  Report rep;
  rep.metrics = testing::socket_metric_table();
  rep.scenario.name = "smoke";
  const Cell a = make_cell("tcp_stream", 1024);
  rep.runs.push_back(run_with_throughput(a, "kernel", 0, 10e9));
  rep.runs.push_back(run_with_throughput(a, "kernel", 1, 12e9));
  rep.runs.push_back(run_with_throughput(a, "sockmap", 0, 25e9));
  RunRecord failed = run_with_throughput(a, "sockmap", 1, 1e9);
  failed.status = RunStatus::failed;
  failed.error = "engagement check failed: sockmap carried 12.0% of messages\nsecond line not shown";
  failed.engagement = {true, false, 0.12, "veth0 carried the rest"};
  rep.runs.push_back(failed);
  RunRecord skipped;
  skipped.cell = a;
  skipped.datapath = skipped.variant = "xdp_redirect";
  skipped.status = RunStatus::skipped;
  skipped.error = "no native XDP on veth";
  rep.runs.push_back(skipped);
  summarize(rep);

  const std::string t = console_table(rep);
  SCOPED_TRACE(t);
  EXPECT_TRUE(has(t, "smoke: 5 runs (3 ok, 1 failed, 1 skipped)"));
  EXPECT_TRUE(has(t, "tcp_stream/1024B/1flow/cross-core\n"));
  EXPECT_TRUE(has(t, "throughput Gbit/s"));
  // kernel median 11 Gbit/s, no ratio on the baseline; sockmap 25 Gbit/s = x2.27 of it.
  // 10 and 12: CV 12.9%, above the default noise limit of 10%, so marked; one sockmap run: no spread.
  EXPECT_TRUE(has(t, "  kernel             2      11.00 ±13%!"));
  EXPECT_FALSE(has(t, "×1.00"));
  EXPECT_TRUE(has(t, "      25.00         ×2.27"));
  EXPECT_FALSE(has(t, "×2.27*")) << "one run against two can show nothing significant";
  EXPECT_TRUE(has(t, "!: above the noise limit 10%"));
  EXPECT_TRUE(has(t, "  failed      sockmap rep 1: engagement check failed: sockmap carried 12.0% of messages\n"));
  EXPECT_FALSE(has(t, "second line"));
  EXPECT_TRUE(has(t, "  skipped     xdp_redirect rep 0: no native XDP on veth\n"));
  EXPECT_TRUE(has(t, "  not engaged sockmap rep 1: carried 12.0% of the traffic: veth0 carried the rest\n"));
}

TEST(ConsoleTable, SummarisesWhenTheCallerDidNot) {
  Report rep;
  rep.metrics = testing::socket_metric_table();
  rep.runs.push_back(run_with_throughput(make_cell("tcp_stream", 64), "kernel", 0, 2e9));
  const std::string t = console_table(rep);
  EXPECT_TRUE(has(t, "tcp_stream/64B/1flow/cross-core")) << t;
  EXPECT_TRUE(has(t, "2.000")) << t;
}

TEST(ConsoleTable, ExampleReport) {
  const std::string t = console_table(testing::example_report());
  SCOPED_TRACE(t);
  EXPECT_TRUE(has(t, "tcp_rr/64B/1flow/cross-core"));
  EXPECT_TRUE(has(t, "not engaged sockmap rep 2"));
  // Each cell shows its workload's headline metrics: no latency column for a stream.
  const std::string stream = t.substr(0, t.find("tcp_rr/64B"));
  EXPECT_TRUE(has(stream, "throughput Gbit/s"));
  EXPECT_FALSE(has(stream, "p50"));
  const std::string rr = t.substr(t.find("tcp_rr/64B"));
  EXPECT_TRUE(has(rr, "p50 µs"));
  EXPECT_TRUE(has(rr, "transactions 1/s"));
  EXPECT_FALSE(has(rr, "Gbit/s"));
  std::cout << t;   // for a human reading the test log
}

}  // namespace
}  // namespace benchlab::reports
