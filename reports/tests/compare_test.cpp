// compare_reports() and gate() on checked-in reports made by real runs of tests/data/gate.toml
// (see reports/README.md, "Test reports"): example_report.json (BASE), gate-next.json (the same
// scenario again), gate-regressed.json (the same with proxy-copy pinned to CPU 0, away from the
// cell's CPU: a real regression of one datapath, the kernel and sockmap-msg untouched).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "benchlab/reports/compare.hpp"
#include "fixtures.hpp"

namespace benchlab::reports {
namespace {

const std::string kData = BENCHLAB_REPORTS_TEST_DATA;

const Report& base_report() {
  static const Report r = read_report(kData + "/example_report.json");
  return r;
}
const Report& next_report() {
  static const Report r = read_report(kData + "/gate-next.json");
  return r;
}
const Report& regressed_report() {
  static const Report r = read_report(kData + "/gate-regressed.json");
  return r;
}

const MetricComparison* find(const CompareResult& c, const std::string& cell_prefix, const std::string& variant,
                             const std::string& metric) {
  for (const RowComparison& r : c.rows)
    if (r.key.cell_label.rfind(cell_prefix, 0) == 0 && r.key.variant == variant)
      for (const MetricComparison& m : r.metrics)
        if (m.metric == metric) return &m;
  return nullptr;
}

// Keeps only the runs `keep` accepts: a real report with fewer repetitions or a missing row.
template <class F>
Report filtered(const Report& r, F keep) {
  Report out = r;
  out.runs.clear();
  for (const RunRecord& run : r.runs)
    if (keep(run)) out.runs.push_back(run);
  summarize(out);
  return out;
}

TEST(Compare, ReportAgainstItselfIsNoChangeEverywhere) {
  for (CompareMode mode : {CompareMode::absolute, CompareMode::ratio}) {
    CompareOptions o;
    o.mode = mode;
    o.metrics = {"all"};
    const CompareResult c = compare_reports(base_report(), base_report(), o);
    SCOPED_TRACE(compare_console(c));
    ASSERT_GT(c.comparisons, 10u);
    for (const RowComparison& r : c.rows)
      for (const MetricComparison& m : r.metrics) {
        SCOPED_TRACE(r.key.cell_label + " " + r.key.variant + " " + m.metric);
        EXPECT_EQ(m.verdict, Verdict::no_change);
        EXPECT_DOUBLE_EQ(m.p, 1);
        EXPECT_DOUBLE_EQ(m.shift_pct, 0);
        EXPECT_DOUBLE_EQ(m.ratio, 1);
      }
    EXPECT_TRUE(c.only_in_base.empty());
    EXPECT_TRUE(c.only_in_next.empty());
    EXPECT_EQ(c.count(Verdict::no_change), int(c.comparisons));
    for (const DatapathSummary& d : c.datapaths) EXPECT_DOUBLE_EQ(d.geomean_ratio, 1);
    // Ratio mode leaves the baseline out: it is the reference.
    if (mode == CompareMode::ratio) {
      for (const RowComparison& r : c.rows) EXPECT_NE(r.key.variant, "kernel");
    }
  }
}

TEST(Compare, DirectionOfEveryMetricKind) {
  // proxy-copy pinned away from its cell's CPU: fewer transactions (higher is better) and longer
  // latency and more CPU per transaction (lower is better) are all "worse"; the same pair read
  // the other way round is "better".
  CompareOptions o;
  o.mode = CompareMode::ratio;
  const CompareResult worse = compare_reports(base_report(), regressed_report(), o);
  const CompareResult better = compare_reports(regressed_report(), base_report(), o);
  SCOPED_TRACE(compare_console(worse));
  for (const char* metric : {"transactions_per_s", "p50_us"}) {
    const MetricComparison* w = find(worse, "tcp_rr/", "proxy-copy", metric);
    const MetricComparison* b = find(better, "tcp_rr/", "proxy-copy", metric);
    ASSERT_TRUE(w && b) << metric;
    EXPECT_EQ(w->verdict, Verdict::worse) << metric;
    EXPECT_EQ(b->verdict, Verdict::better) << metric;
    EXPECT_LT(w->p_adjusted, o.alpha);
    EXPECT_GE(std::abs(w->shift_pct), o.threshold_pct);
    // The shift's interval excludes 0 when the test rejects it.
    EXPECT_TRUE(w->shift_ci_low_pct > 0 || w->shift_ci_high_pct < 0) << w->shift_ci_low_pct << " " << w->shift_ci_high_pct;
  }
  EXPECT_LT(find(worse, "tcp_rr/", "proxy-copy", "transactions_per_s")->shift_pct, 0);
  EXPECT_GT(find(worse, "tcp_rr/", "proxy-copy", "p50_us")->shift_pct, 0);
  // The geometric-mean summary says the same of the datapath.
  bool seen = false;
  for (const DatapathSummary& d : worse.datapaths)
    if (d.variant == "proxy-copy" && d.metric == "p50_us") {
      seen = true;
      EXPECT_GT(d.geomean_ratio, 1.05);
      EXPECT_EQ(d.worse, 1);
    }
  EXPECT_TRUE(seen);
}

TEST(Compare, DirectionNeitherIsChangedNotBetterOrWorse) {
  // window_s has no better direction: a significant, large difference is "changed".
  Report a, b;
  a.metrics = b.metrics = testing::socket_metric_table();
  const Cell cell = testing::make_cell("tcp_stream", 1024);
  for (int rep = 0; rep < 6; ++rep) {
    RunRecord x = testing::run_with_throughput(cell, "kernel", rep, 10e9 + rep * 1e7);
    RunRecord y = x;
    x.result.window_s = 1 + 0.001 * rep;
    y.result.window_s = 2 + 0.001 * rep;
    a.runs.push_back(x);
    b.runs.push_back(y);
  }
  summarize(a);
  summarize(b);
  CompareOptions o;
  o.metrics = {"window_s"};
  const CompareResult c = compare_reports(a, b, o);
  const MetricComparison* m = find(c, "tcp_stream/", "kernel", "window_s");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->verdict, Verdict::changed);
  EXPECT_NEAR(m->shift_pct, 100, 1);
}

TEST(Compare, RowsOnlyOnOneSide) {
  const Report no_stream = filtered(next_report(), [](const RunRecord& r) { return r.cell.workload() != "tcp_stream"; });
  const CompareResult c = compare_reports(base_report(), no_stream);
  EXPECT_EQ(c.only_in_base.size(), 3u);   // kernel, sockmap-msg, proxy-copy of the stream cell
  EXPECT_TRUE(c.only_in_next.empty());
  for (const RowKey& k : c.only_in_base) EXPECT_EQ(k.cell_label.rfind("tcp_stream/", 0), 0u);
  const CompareResult back = compare_reports(no_stream, base_report());
  EXPECT_EQ(back.only_in_next.size(), 3u);
  EXPECT_NE(compare_console(c).find("only in BASE: tcp_stream/"), std::string::npos);

  GateSpec spec = gate_spec_of(next_report());
  const GateResult g = gate(base_report(), no_stream, spec);
  EXPECT_NE(g.status, GateStatus::pass);
  int missing = 0;
  for (const GateCase& gc : g.cases) missing += gc.message.find("missing in NEW") != std::string::npos;
  EXPECT_EQ(missing, 2) << "the two non-baseline stream rows (ratio mode does not gate the baseline)";
}

TEST(Compare, TooFewRepetitionsWarnAndCannotJudge) {
  auto three = [](const RunRecord& r) { return r.repetition < 3; };
  const Report a = filtered(base_report(), three), b = filtered(regressed_report(), three);
  const CompareResult c = compare_reports(a, b);
  EXPECT_FALSE(c.can_reach_alpha);
  EXPECT_NEAR(c.min_attainable_p, 0.1, 1e-12);   // 3 vs 3: 2 / C(6, 3)
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_NE(c.warnings[0].find("too few repetitions"), std::string::npos) << c.warnings[0];
  EXPECT_EQ(c.count(Verdict::worse) + c.count(Verdict::better), 0);

  const GateResult g = gate(a, b, gate_spec_of(b));
  EXPECT_EQ(g.status, GateStatus::cannot_judge) << gate_console(g);
}

TEST(Gate, PassRegressionAndCannotJudge) {
  GateSpec spec = gate_spec_of(next_report());
  EXPECT_EQ(spec.mode, CompareMode::ratio);
  EXPECT_EQ(spec.correction, Correction::holm);
  EXPECT_EQ(spec.limits_pct.at("throughput_bps"), -5);
  EXPECT_EQ(spec.limits_pct.at("p99_us"), 10);

  // This machine's rows are noisy (CV above 10%): the gate cannot judge, never passes.
  const GateResult noisy = gate(base_report(), next_report(), spec);
  EXPECT_EQ(noisy.status, GateStatus::cannot_judge) << gate_console(noisy);

  // With a noise limit the rows meet, the same pair passes: nothing regressed significantly.
  Report b = base_report(), n = next_report(), d = regressed_report();
  b.scenario.noise_limit_pct = n.scenario.noise_limit_pct = d.scenario.noise_limit_pct = 1000;
  const GateResult pass = gate(b, n, spec);
  EXPECT_EQ(pass.status, GateStatus::pass) << gate_console(pass);

  // The regressed run fails the gate, on proxy-copy only.
  const GateResult fail = gate(b, d, spec);
  EXPECT_EQ(fail.status, GateStatus::regression) << gate_console(fail);
  for (const GateCase& gc : fail.cases)
    if (gc.status == GateStatus::regression) {
      EXPECT_EQ(gc.key.variant, "proxy-copy") << gc.message;
    }

  const std::string xml = junit_xml(fail, "benchlab.gate");
  EXPECT_NE(xml.find("<failure message=\"regression beyond"), std::string::npos);
  EXPECT_EQ(xml.find("<error"), std::string::npos);
}

TEST(Gate, DefaultsWithoutAGatesTable) {
  Report n = next_report();
  n.scenario.gates = nullptr;
  const GateSpec spec = gate_spec_of(n);
  EXPECT_EQ(spec.alpha, 0.05);
  EXPECT_EQ(spec.mode, CompareMode::ratio);
  // Every headline metric with a direction, 5% in its bad direction.
  EXPECT_EQ(spec.limits_pct.at("throughput_bps"), -kDefaultGatePct);
  EXPECT_EQ(spec.limits_pct.at("p50_us"), kDefaultGatePct);
  EXPECT_EQ(spec.limits_pct.at("cpu_us_per_transaction"), kDefaultGatePct);
  EXPECT_FALSE(spec.limits_pct.count("window_s"));
}

TEST(Gate, MalformedGatesAndLimits) {
  double pct = 0;
  EXPECT_TRUE(parse_gate_limit("-5%", &pct));
  EXPECT_EQ(pct, -5);
  EXPECT_TRUE(parse_gate_limit("+2.5", &pct));
  EXPECT_EQ(pct, 2.5);
  for (const char* bad : {"5%", "-5%%", "", "-x%", "+0%", "-5 %"}) EXPECT_FALSE(parse_gate_limit(bad, &pct)) << bad;
  Report n = next_report();
  n.scenario.gates = {{"p99_us", "ten"}};
  try {
    gate_spec_of(n);
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("scenario.gates.p99_us"), std::string::npos) << e.what();
  }
}

TEST(Compare, OptionsAreChecked) {
  CompareOptions o;
  o.metrics = {"througput_bps"};
  EXPECT_THROW(compare_reports(base_report(), next_report(), o), std::invalid_argument);
  o = {};
  o.alpha = 1.5;
  EXPECT_THROW(compare_reports(base_report(), next_report(), o), std::invalid_argument);
}

TEST(Compare, RenderersCarryEveryRow) {
  const CompareResult c = compare_reports(base_report(), regressed_report());
  const nlohmann::json j = to_json(c);
  EXPECT_EQ(j["rows"].size(), c.rows.size());
  EXPECT_EQ(j["comparisons"], c.comparisons);
  const std::string md = compare_markdown(c);
  EXPECT_NE(md.find("| cell | datapath | metric |"), std::string::npos);
  size_t lines = 0;
  for (const RowComparison& r : c.rows) lines += r.metrics.size();
  EXPECT_EQ(size_t(std::count(md.begin(), md.end(), '\n')) > lines, true);
}

}  // namespace
}  // namespace benchlab::reports
