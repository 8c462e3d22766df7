// The report file: round trips, schema versioning, one-line errors for bad input.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "benchlab/reports/report.hpp"
#include "fixtures.hpp"

namespace benchlab::reports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kExample = std::string(BENCHLAB_REPORTS_TEST_DATA) + "/example_report.json";

using testing::error_of;
using testing::slurp;
using testing::TempDir;

TEST(ReportJson, FullReportRoundTripsFieldByField) {
  const Report original = testing::full_report();
  const Report back = from_json(to_json(original));
  testing::expect_same(original, back);
  EXPECT_EQ(to_json(back), to_json(original));
}

TEST(ReportJson, ExampleFileRoundTripsByteForByte) {
  // A real run (reports/tests/data/gate.toml). Reading recomputes the derived figures and the
  // summary, noise and tests against the baseline included (the bootstrap is seeded); writing
  // must reproduce the file.
  const std::string text = slurp(kExample);
  ASSERT_FALSE(text.empty()) << kExample;
  const Report r = read_report(kExample);
  EXPECT_EQ(to_json_text(r), text);
  EXPECT_EQ(r.runs.size(), 36u);
  EXPECT_EQ(r.scenario.repetitions, 6);
  EXPECT_EQ(r.scenario.noise_limit_pct, 10);
  EXPECT_EQ(r.scenario.gates["p99_us"], "+10%");
  ASSERT_EQ(r.summary.size(), 6u);
  for (const SummaryRow& row : r.summary)
    for (const auto& [name, m] : row.metrics) {
      SCOPED_TRACE(row.cell_label + " " + row.variant + " " + name);
      EXPECT_EQ(m.n, 6);
      if (m.median == 0) continue;
      EXPECT_LE(m.ci_low, m.median);
      EXPECT_GE(m.ci_high, m.median);
      EXPECT_GE(m.ci_low, m.min);
      EXPECT_LE(m.ci_high, m.max);
      EXPECT_EQ(m.noisy, m.cv_pct > 10);
      bool tested = false;
      for (const MetricSpec& spec : metrics_of(r.metrics, row.cell.workload(), row.datapath))
        if (spec.name == name) tested = spec.headline && spec.direction != Direction::neither && row.variant != row.baseline;
      EXPECT_EQ(m.p_vs_baseline.has_value(), tested);
      if (m.p_vs_baseline) {
        EXPECT_EQ(m.significant, *m.p_vs_baseline < kSummaryAlpha);
      }
    }
}

TEST(ReportJson, SchemaVersionComesFirstAndKeysCarryUnits) {
  const std::string text = to_json_text(testing::full_report());
  EXPECT_EQ(text.rfind("{\n  \"schema_version\": 2,", 0), 0u) << text.substr(0, 80);
  const json j = to_json(testing::full_report());
  const json& run = j["runs"][0];
  for (const char* key : {"started_unix_s", "topology_build_ms", "topology_teardown_ms"}) EXPECT_TRUE(run.contains(key)) << key;
  EXPECT_TRUE(run["result"].contains("latency_ns"));
  EXPECT_EQ(run["cell"]["axes"]["message_size"], 64);
  EXPECT_EQ(run["variant"], "sockmap[hash]");
  EXPECT_EQ(j["metrics"]["baselines"]["stream"], "kernel");
  EXPECT_EQ(j["metrics"]["workload_kinds"]["tcp_rr"], "stream");
  EXPECT_TRUE(run["derived"].contains("throughput_bps"));
  EXPECT_TRUE(run["derived"].contains("p99_us"));
  EXPECT_EQ(run["cpu_begin"]["user_s"].size(), 2u);
  EXPECT_EQ(j["summary"]["baselines"]["stream"], "kernel");
}

TEST(ReportJson, DerivedFiguresAreRecomputedOnRead) {
  json j = to_json(testing::full_report());
  j["runs"][1]["derived"]["throughput_bps"] = 1;   // a stale or edited convenience copy
  j["summary"]["rows"] = json::array();
  const Report r = from_json(j);
  for (const auto& [name, v] : derive(r.metrics, r.runs[1]))
    if (name == "throughput_bps") {
      EXPECT_DOUBLE_EQ(v, 8e9);
    }
  EXPECT_EQ(to_json(r)["runs"][1]["derived"]["throughput_bps"], 8e9);
  EXPECT_FALSE(r.summary.empty());
}

TEST(ReportJson, RefusesNewerSchema) {
  json j = to_json(testing::full_report());
  j["schema_version"] = 7;
  j.erase("runs");   // a newer file may look different: the version is checked first
  EXPECT_EQ(error_of([&] { from_json(j); }), "report schema_version 7 is newer than this benchlab understands (2)");
}

TEST(ReportJson, MissingKeyIsOneLineNamingTheKey) {
  json j = to_json(testing::full_report());
  j["runs"][0]["cell"].erase("label");
  const std::string e = error_of([&] { from_json(j); });
  EXPECT_EQ(e, "malformed report: runs[0].cell: missing key \"label\"");
}

TEST(ReportJson, WrongTypeIsOneLineNamingTheKey) {
  json j = to_json(testing::full_report());
  j["runs"][0]["result"]["samples"][1]["bytes"] = "300";
  EXPECT_EQ(error_of([&] { from_json(j); }),
            "malformed report: runs[0].result.samples[1].bytes: expected a non-negative integer, found string \"300\"");

  j = to_json(testing::full_report());
  j["runs"][0]["status"] = "crashed";
  EXPECT_EQ(error_of([&] { from_json(j); }),
            "malformed report: runs[0].status: unknown run status \"crashed\" (expected ok, failed or skipped)");

  j = to_json(testing::full_report());
  j["runs"][0]["cpu_end"]["idle_s"] = json::array({1.0});
  EXPECT_EQ(error_of([&] { from_json(j); }), "malformed report: runs[0].cpu_end.idle_s: has 1 CPUs, but user_s has 2");

  j = to_json(testing::full_report());
  j["runs"][0]["result"]["latency_ns"]["buckets"] = 3;
  const std::string hist = error_of([&] { from_json(j); });
  EXPECT_EQ(hist.rfind("malformed report: runs[0].result.latency_ns: ", 0), 0u) << hist;

  EXPECT_EQ(error_of([&] { from_json(json::array()); }), "malformed report: top level: expected an object, found array");
  EXPECT_EQ(error_of([&] { from_json(json{{"schema_version", "1"}}); }),
            "malformed report: schema_version: expected an integer, found string \"1\"");
}

TEST_F(TempDir, WriteIsAtomicAndCreatesDirectories) {
  const fs::path path = dir_ / "a" / "b" / "report.json";
  Report r = testing::full_report();
  write_report(r, path.string());
  r.wall_s = 7;
  write_report(r, path.string());   // replaces the previous file
  EXPECT_EQ(read_report(path.string()).wall_s, 7);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(path.parent_path())) ++files, (void)e;
  EXPECT_EQ(files, 1u) << "no temporary file left behind";
}

TEST_F(TempDir, ReadErrorsNameTheFile) {
  const std::string missing = (dir_ / "missing.json").string();
  EXPECT_EQ(error_of([&] { read_report(missing); }), missing + ": cannot open report: No such file or directory");

  const std::string garbage = (dir_ / "garbage.json").string();
  std::ofstream(garbage) << "{\"schema_version\": 1,";
  const std::string e = error_of([&] { read_report(garbage); });
  EXPECT_EQ(e.rfind(garbage + ": not a JSON report: parse error at line 1", 0), 0u) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;

  json j = to_json(testing::full_report());
  j["schema_version"] = 7;
  const std::string newer = (dir_ / "newer.json").string();
  std::ofstream(newer) << j.dump();
  EXPECT_EQ(error_of([&] { read_report(newer); }),
            newer + ": report schema_version 7 is newer than this benchlab understands (2)");

  j = to_json(testing::full_report());
  j["scenario"].erase("name");
  const std::string bad = (dir_ / "bad.json").string();
  std::ofstream(bad) << j.dump();
  EXPECT_EQ(error_of([&] { read_report(bad); }), bad + ": malformed report: scenario: missing key \"name\"");
}

TEST(ReportJson, NonFiniteNumbersSurviveAsNull) {
  Report r = testing::full_report();
  r.runs[0].result.extra["undefined"] = std::nan("");
  const json j = to_json(r);
  EXPECT_TRUE(j["runs"][0]["result"]["extra"]["undefined"].is_null());
  EXPECT_TRUE(std::isnan(from_json(j).runs[0].result.extra.at("undefined")));
}


}  // namespace
}  // namespace benchlab::reports

namespace benchlab::reports {
namespace {

// A version-1 report made by a real run (benchlab at 7811aa3, shortened sockmap.toml: tcp_stream
// and tcp_rr at 1 KiB same-core, kernel and sockmap-msg) reads, upgraded in memory: cells get
// their axes, runs their variant, the report v1's own metric table; every figure the v1 file's
// summary holds is recomputed to the same value.
TEST(ReportJson, ReadsARealVersion1Report) {
  const std::string path = std::string(BENCHLAB_REPORTS_TEST_DATA) + "/real_v1_report.json";
  const Report r = read_report(path);
  EXPECT_EQ(r.schema_version, 2);
  ASSERT_EQ(r.runs.size(), 4u);
  EXPECT_EQ(r.runs[0].variant, r.runs[0].datapath);
  EXPECT_EQ(r.runs[0].cell.integer("message_size"), 1024);
  EXPECT_EQ(r.runs[0].cell.string("cpu_placement"), "same-core");
  EXPECT_EQ(r.metrics.baselines.at("stream"), "kernel");
  EXPECT_EQ(r.metrics.common.size(), 16u);

  std::ifstream in(path);
  const json v1 = json::parse(in);
  const json& rows = v1["summary"]["rows"];
  ASSERT_EQ(rows.size(), r.summary.size());
  for (size_t i = 0; i < r.summary.size(); ++i) {
    EXPECT_EQ(rows[i]["cell_label"], r.summary[i].cell_label);
    EXPECT_EQ(rows[i]["datapath"], r.summary[i].variant);
    for (const auto& [name, m] : rows[i]["metrics"].items()) {
      ASSERT_TRUE(r.summary[i].metrics.count(name)) << name;
      EXPECT_DOUBLE_EQ(m["median"].get<double>(), r.summary[i].metrics.at(name).median) << name;
    }
  }
  const std::string t = console_table(r);
  EXPECT_NE(t.find("sockmap-msg"), std::string::npos) << t;
  // Written again, it is a version-2 file that reads back the same.
  testing::expect_same(from_json(to_json(r)), r);
}

}  // namespace
}  // namespace benchlab::reports
