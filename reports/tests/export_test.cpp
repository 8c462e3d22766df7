// The CSV and Google-Benchmark exports of the checked-in example report (kernel vs sockmap, two
// stream cells and a request/response cell, three repetitions, one failed run, skipped XDP runs).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "benchlab/reports/export.hpp"
#include "fixtures.hpp"

namespace benchlab::reports {
namespace {

// RFC 4180 lines back into fields (quoted fields may hold commas and doubled quotes).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field), field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field), field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST(Export, CsvHasOneLinePerRunAndMetricWithUnits) {
  const Report r = testing::example_report();
  const auto rows = parse_csv(to_csv(r));
  size_t expected = 1;
  for (const RunRecord& run : r.runs) expected += metrics_of(r.metrics, run.cell.workload(), run.datapath).size();
  EXPECT_EQ(rows.size(), expected);
  EXPECT_EQ(rows.size(), csv_rows(r));
  const std::vector<std::string> header = {"cell",   "workload", "message_size", "flows", "cpu_placement", "datapath",
                                           "variant", "repetition", "status", "metric", "unit", "value"};
  ASSERT_EQ(rows[0], header);
  std::map<std::string, int> by_status;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size()) << "line " << i;
    by_status[rows[i][8]]++;
    EXPECT_FALSE(rows[i][10].empty()) << "line " << i << " has no unit";
    if (rows[i][8] == "skipped") EXPECT_EQ(rows[i][11], "") << "a skipped run has no figures";
  }
  EXPECT_GT(by_status["ok"], 0);
  EXPECT_GT(by_status["failed"], 0);
  EXPECT_GT(by_status["skipped"], 0);
  // The value column is the run's derived figure, read back exactly.
  const auto derived = derive(r.metrics, r.runs[0]);
  size_t line = 1;
  for (const auto& [name, v] : derived) {
    EXPECT_EQ(rows[line][9], name);
    EXPECT_EQ(std::stod(rows[line][11]), v) << name;
    ++line;
  }
}

TEST(Export, CsvQuotesFieldsThatNeedIt) {
  Report r = testing::example_report();
  r.runs[0].variant = "odd,\"name\"";
  const auto rows = parse_csv(to_csv(r));
  EXPECT_EQ(rows[1][6], "odd,\"name\"");
}

TEST(Export, GbenchJsonHasTheTimeLikeMetricsOfOkRuns) {
  const Report r = testing::example_report();
  const nlohmann::json j = to_gbench_json(r);
  ASSERT_TRUE(j.contains("context"));
  std::map<std::string, std::vector<double>> iters;
  std::set<std::string> aggregates;
  for (const auto& b : j["benchmarks"]) {
    ASSERT_TRUE(b.contains("real_time") && b.contains("cpu_time") && b.contains("time_unit")) << b.dump();
    if (b["run_type"] == "aggregate") aggregates.insert(b["run_name"].get<std::string>());
    else iters[b["name"].get<std::string>()].push_back(b["real_time"].get<double>());
  }
  // Request/response: latency percentiles in µs ("us"), CPU per transaction, ns per transaction.
  const std::string cell = "tcp_rr/64B/1flow/cross-core/";
  ASSERT_TRUE(iters.count(cell + "kernel/p50_us"));
  ASSERT_TRUE(iters.count(cell + "kernel/ns_per_transaction"));
  ASSERT_TRUE(iters.count(cell + "kernel/cpu_us_per_transaction"));
  EXPECT_FALSE(iters.count(cell + "kernel/throughput_bps")) << "not a time";
  EXPECT_FALSE(iters.count("tcp_stream/1024B/1flow/cross-core/kernel/cpu_s_per_gb")) << "s/GB is not a time";
  // Stream rows have messages per second: ns per message.
  EXPECT_TRUE(iters.count("tcp_stream/1024B/1flow/cross-core/kernel/ns_per_message"));
  for (const auto& [name, xs] : iters) EXPECT_TRUE(aggregates.count(name)) << name << " has no median";
  // Only ok runs: the sockmap rr cell has one failed repetition of three, XDP none at all.
  EXPECT_EQ(iters[cell + "kernel/p50_us"].size(), 3u);
  EXPECT_EQ(iters[cell + "sockmap/p50_us"].size(), 2u);
  for (const auto& [name, xs] : iters) EXPECT_EQ(name.find("xdp"), std::string::npos) << name;
  // ns per transaction is 1e9 / the run's transactions_per_s.
  std::vector<double> rates;
  for (const RunRecord& run : r.runs)
    if (run.cell.label() + "/" + run.variant + "/" == cell + "kernel/" && run.status == RunStatus::ok)
      for (const auto& [n, v] : derive(r.metrics, run))
        if (n == "transactions_per_s") rates.push_back(1e9 / v);
  ASSERT_EQ(rates.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(iters[cell + "kernel/ns_per_transaction"][i], rates[i]);
}

}  // namespace
}  // namespace benchlab::reports
