// Adding an axis or a metric is one declaration: a test-only workload and a test-only datapath
// each declare an extra axis and an extra metric, and nothing else is told about them. They go
// through validation, cells, datapath variants, the runner's metric table, the summary and a
// report's JSON round trip.
#include <gtest/gtest.h>

#include <algorithm>

#include "benchlab/builtin_registries.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/reports/report.hpp"
#include "benchlab/runner.hpp"
#include "benchlab/scenario.hpp"

namespace benchlab {
namespace {

// The built-in table plus two test-only entries.
Registries with_test_entries() {
  Registries r = builtin_registries();
  r.workloads.add({
      .name = "test_burst",
      .description = "TEST ONLY: declares an extra axis (burst) and metric (bursts_per_s)",
      .options = {},
      .factory = [] { return std::unique_ptr<Workload>(); },
      .traffic = {"packet"},
      .axes = {{.name = "burst", .type = OptionType::integer, .default_value = int64_t(8), .unit = "packets",
                .doc = "packets per burst", .min = 1, .max = 256, .label_suffix = "pkt"}},
      .metrics = {{.name = "bursts_per_s", .unit = "1/s", .direction = Direction::higher_is_better,
                   .derivation = Derivation::rate, .source = "packets", .scale = 1.0 / 8, .doc = "bursts per second",
                   .headline = true},
                  {.name = "drops_total", .unit = "packets", .direction = Direction::lower_is_better,
                   .derivation = Derivation::total, .source = "drops", .doc = "packets lost"}},
  });
  r.datapaths.add({
      .name = "test-filter",
      .description = "TEST ONLY: declares an extra axis (engine) and metric (matched_pps)",
      .options = {},
      .factory = [](const DatapathContext&) { return std::unique_ptr<Datapath>(); },
      .traffic = {"packet"},
      .axes = {{.name = "engine", .type = OptionType::string, .default_value = std::string("cbpf"),
                .doc = "filter engine", .choices = {"cbpf", "ebpf"}}},
      .metrics = {{.name = "matched_pps", .unit = "packets/s", .direction = Direction::higher_is_better,
                   .derivation = Derivation::counter_rate, .source = "matched", .doc = "packets the filter matched"}},
  });
  return r;
}

const char* kScenario = R"(name = "decl"
workloads = ["test_burst", "tcp_rr"]
datapaths = ["test-filter", "sockmap-msg"]
[matrix]
burst = [4, 16]
engine = ["cbpf", "ebpf"]
message_size = [64]
)";

TEST(Declarations, RegistriesAreWellFormed) {
  EXPECT_EQ(check_registries(builtin_registries()), std::vector<std::string>{});
  EXPECT_EQ(check_registries(with_test_entries()), std::vector<std::string>{});
}

TEST(Declarations, ValidationCellsAndVariants) {
  const Registries reg = with_test_entries();
  ScenarioSpec s = parse_scenario(kScenario, "decl.toml", reg);
  // The baseline of each kind the workloads make is added, once.
  EXPECT_EQ(s.baselines.at("packet"), "kernel");
  EXPECT_EQ(s.baselines.at("stream"), "kernel");
  EXPECT_EQ(s.datapaths.front(), "kernel");
  EXPECT_EQ(std::count(s.datapaths.begin(), s.datapaths.end(), "kernel"), 1);
  // A datapath carrying only some kinds runs only in those cells, and the spec says so.
  EXPECT_TRUE(s.runs_in("test-filter", "test_burst"));
  EXPECT_FALSE(s.runs_in("test-filter", "tcp_rr"));
  EXPECT_FALSE(s.runs_in("sockmap-msg", "test_burst"));
  EXPECT_TRUE(s.runs_in("kernel", "test_burst") && s.runs_in("kernel", "tcp_rr"));
  ASSERT_EQ(s.not_run.size(), 2u);

  // Cells: the workload's own axes only (burst for test_burst; the socket axes for tcp_rr).
  const auto cells = s.cells();
  ASSERT_EQ(cells.size(), 2u + 1u);
  EXPECT_EQ(cells[0].label(), "test_burst/4pkt");
  EXPECT_EQ(cells[1].label(), "test_burst/16pkt");
  EXPECT_EQ(cells[1].integer("burst"), 16);
  EXPECT_EQ(cells[2].label(), "tcp_rr/64B/1flow/cross-core");
  EXPECT_FALSE(cells[0].has("message_size"));

  // A datapath axis makes variants; the baseline has one.
  const auto v = s.variants("test-filter");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].label, "test-filter[cbpf]");
  EXPECT_EQ(v[1].axes.get_string("engine"), "ebpf");
  EXPECT_EQ(s.variants("kernel").size(), 1u);
  // Runs: test_burst cells x (kernel + 2 variants) + tcp_rr cell x (kernel + sockmap-msg), x reps.
  EXPECT_EQ(s.run_count(), size_t(s.repetitions) * (2 * 3 + 1 * 2));

  // Values are checked against the declaration; unknown axes name the known ones.
  auto err = [&](const std::string& text) {
    try {
      parse_scenario(text, "bad.toml", reg);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(err("name='x'\nworkloads=['test_burst']\n[matrix]\nburst=[0]\n"),
            "bad.toml:4: matrix.burst: out of range: 0 (allowed 1..256)");
  EXPECT_EQ(err("name='x'\nworkloads=['test_burst']\ndatapaths=['test-filter']\n[matrix]\nengine=['jit']\n"),
            "bad.toml:5: matrix.engine: 'jit' is not one of: cbpf, ebpf");
  const std::string unknown = err("name='x'\nworkloads=['test_burst']\n[matrix]\nmessage_size=[64]\n");
  EXPECT_NE(unknown.find("matrix.message_size: unknown key (expected one of: burst"), std::string::npos) << unknown;
  // A datapath that carries none of the scenario's kinds is an error naming both.
  EXPECT_EQ(err("name='x'\nworkloads=['tcp_rr']\ndatapaths=['test-filter']\n"),
            "bad.toml:3: datapaths: datapath 'test-filter' carries none of the scenario's traffic: it carries packet; "
            "workloads 'tcp_rr' (stream)");
  // --set reaches a declared axis like any other key.
  ScenarioSpec o = parse_scenario(kScenario, "decl.toml", reg, {"matrix.burst=[32]"});
  EXPECT_EQ(o.cells()[0].label(), "test_burst/32pkt");
}

// What a run of each row would have collected; the summary derives every declared metric.
reports::RunRecord run_of(const Cell& c, const DatapathVariant& v, int rep) {
  reports::RunRecord r;
  r.cell = c;
  r.datapath = v.datapath;
  r.variant = v.label;
  r.variant_axes = v.axes;
  r.repetition = rep;
  const uint64_t packets = v.datapath == "kernel" ? 800 : 1600;
  IntervalSample warm{0, 1, 0, 0, 0, true};
  warm.packets = 1'000'000;   // must not count
  IntervalSample s{1, 2, 1000, 10, 5, false};
  s.packets = packets;
  s.drops = 3;
  r.result.samples = {warm, s};
  r.result.window_s = 2;
  if (v.datapath == "test-filter") r.counters_delta = {{"matched", 500}};
  return r;
}

TEST(Declarations, SummaryAndReportRoundTrip) {
  const Registries reg = with_test_entries();
  const ScenarioSpec s = parse_scenario(kScenario, "decl.toml", reg);
  reports::Report rep;
  rep.context = nlohmann::json::object();
  rep.metrics = metric_table(s, reg);
  rep.scenario = scenario_info(s, {});
  for (const Cell& c : s.cells())
    for (const auto& d : s.datapaths)
      if (s.runs_in(d, c.workload()))
        for (const DatapathVariant& v : s.variants(d))
          for (int i = 0; i < 2; ++i) rep.runs.push_back(run_of(c, v, i));
  reports::summarize(rep);

  auto row = [&](const std::string& cell, const std::string& variant) -> const reports::SummaryRow& {
    for (const auto& r : rep.summary)
      if (r.cell_label == cell && r.variant == variant) return r;
    ADD_FAILURE() << "no row " << cell << " " << variant;
    return rep.summary.front();
  };
  const auto& base = row("test_burst/4pkt", "kernel");
  const auto& cbpf = row("test_burst/4pkt", "test-filter[cbpf]");
  const auto& ebpf = row("test_burst/4pkt", "test-filter[ebpf]");
  EXPECT_EQ(base.kind, "packet");
  EXPECT_EQ(cbpf.baseline, "kernel");
  // The workload's metric on every row of its cells, measured intervals only, each variant its
  // own ratio; the datapath's metric on its rows only.
  EXPECT_DOUBLE_EQ(base.metrics.at("bursts_per_s").median, 800.0 / 8 / 2);
  EXPECT_DOUBLE_EQ(cbpf.metrics.at("bursts_per_s").median, 1600.0 / 8 / 2);
  EXPECT_DOUBLE_EQ(*cbpf.metrics.at("bursts_per_s").ratio_to_baseline, 2.0);
  EXPECT_DOUBLE_EQ(*ebpf.metrics.at("bursts_per_s").ratio_to_baseline, 2.0);
  EXPECT_DOUBLE_EQ(cbpf.metrics.at("drops_total").median, 3);
  EXPECT_DOUBLE_EQ(cbpf.metrics.at("matched_pps").median, 250);
  EXPECT_FALSE(base.metrics.count("matched_pps"));
  EXPECT_FALSE(cbpf.metrics.at("matched_pps").ratio_to_baseline) << "the baseline has no such metric";
  // No socket metric on a packet row, no packet metric on a socket row.
  EXPECT_FALSE(base.metrics.count("p50_us"));
  const auto& rr = row("tcp_rr/64B/1flow/cross-core", "kernel");
  EXPECT_TRUE(rr.metrics.count("p50_us"));
  EXPECT_FALSE(rr.metrics.count("bursts_per_s"));

  // Round trip: the metric table, variants and axes come back, and the summary is the same.
  const reports::Report back = reports::from_json(reports::to_json(rep));
  EXPECT_EQ(back.metrics.workloads.at("test_burst"), rep.metrics.workloads.at("test_burst"));
  EXPECT_EQ(back.metrics.datapaths.at("test-filter"), rep.metrics.datapaths.at("test-filter"));
  ASSERT_EQ(back.summary.size(), rep.summary.size());
  for (size_t i = 0; i < rep.summary.size(); ++i) {
    EXPECT_EQ(back.summary[i].variant, rep.summary[i].variant);
    EXPECT_EQ(back.summary[i].cell_label, rep.summary[i].cell_label);
    EXPECT_EQ(back.summary[i].metrics.size(), rep.summary[i].metrics.size());
  }
  EXPECT_EQ(back.runs[2].variant_axes.get_string("engine"), "cbpf");
  EXPECT_EQ(back.runs[0].cell.integer("burst"), 4);
  EXPECT_EQ(back.scenario.not_run.size(), 2u);
  EXPECT_NE(reports::console_table(back).find("bursts 1/s"), std::string::npos);
}

}  // namespace
}  // namespace benchlab
