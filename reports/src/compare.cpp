// compare_reports(): two reports' rows matched and tested, metric by metric. Collect (the ok
// runs' derived figures per row), test (Mann-Whitney, Hodges-Lehmann), correct (Holm or BH over
// every test), decide (significance and threshold, direction-aware). No formatting here.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "benchlab/core/stats.hpp"
#include "benchlab/reports/compare.hpp"

namespace benchlab::reports {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One report's rows: the ok runs' figures by repetition, and the row's metric declarations.
struct Row {
  RowKey key;
  std::string workload, kind, baseline;
  std::vector<MetricSpec> specs;
  std::map<std::string, std::map<int, double>> values;   // metric -> repetition -> value
};

struct Rows {
  std::vector<RowKey> order;
  std::map<RowKey, Row> rows;
};

Rows rows_of(const Report& r) {
  Rows out;
  // Summary order when there is one (baseline first within a cell), else run order.
  for (const SummaryRow& s : r.summary) {
    RowKey k{s.cell_label, s.datapath, s.variant};
    if (!out.rows.count(k)) out.order.push_back(k);
    Row& row = out.rows[k];
    row.key = k;
    row.workload = s.cell.workload();
    row.kind = s.kind;
    row.baseline = s.baseline;
  }
  for (const RunRecord& run : r.runs) {
    RowKey k{run.cell.label(), run.datapath, run.variant};
    if (!out.rows.count(k)) out.order.push_back(k);
    Row& row = out.rows[k];
    if (row.key.variant.empty()) {
      row.key = k;
      row.workload = run.cell.workload();
      auto kind = r.metrics.workload_kinds.find(row.workload);
      row.kind = kind == r.metrics.workload_kinds.end() ? "" : kind->second;
      auto base = r.metrics.baselines.find(row.kind);
      row.baseline = base == r.metrics.baselines.end() ? "" : base->second;
    }
    if (row.specs.empty()) row.specs = metrics_of(r.metrics, row.workload, run.datapath);
    if (run.status != RunStatus::ok) continue;
    for (const auto& [name, v] : derive(r.metrics, run)) row.values[name][run.repetition] = v;
  }
  return out;
}

std::vector<double> values_of(const std::map<int, double>& by_rep) {
  std::vector<double> v;
  for (const auto& [rep, x] : by_rep) v.push_back(x);
  return v;
}

// Ratio mode: each repetition's figure over the same repetition's baseline figure in its cell.
std::map<int, double> ratios(const std::map<int, double>& row, const std::map<int, double>& base) {
  std::map<int, double> out;
  for (const auto& [rep, x] : row) {
    auto b = base.find(rep);
    if (b != base.end() && b->second != 0 && std::isfinite(b->second)) out[rep] = x / b->second;
  }
  return out;
}

const MetricSpec* spec_in(const Row& row, const std::string& name) {
  for (const MetricSpec& m : row.specs)
    if (m.name == name) return &m;
  return nullptr;
}

bool selected(const MetricSpec& m, const CompareOptions& o) {
  if (o.metrics.empty()) return m.headline && m.direction != Direction::neither;
  if (o.metrics.size() == 1 && o.metrics[0] == "all") return m.direction != Direction::neither;
  return std::find(o.metrics.begin(), o.metrics.end(), m.name) != o.metrics.end();
}

// In percent of the base; a zero base admits only a zero shift (0%), anything else has no percentage.
double pct_of(double shift, double base) {
  if (base == 0) return shift == 0 ? 0 : kNaN;
  return 100 * shift / std::abs(base);
}

std::string context_str(const Report& r, const char* a, const char* b) {
  if (!r.context.is_object() || !r.context.contains(a) || !r.context[a].is_object()) return "";
  const auto& o = r.context[a];
  return o.contains(b) && o[b].is_string() ? o[b].get<std::string>() : "";
}

}  // namespace

std::string to_string(Correction c) {
  switch (c) {
    case Correction::holm: return "holm";
    case Correction::benjamini_hochberg: return "bh";
    case Correction::none: return "none";
  }
  return "?";
}

bool parse_correction(const std::string& s, Correction* out) {
  if (s == "holm") *out = Correction::holm;
  else if (s == "bh" || s == "benjamini-hochberg") *out = Correction::benjamini_hochberg;
  else if (s == "none") *out = Correction::none;
  else return false;
  return true;
}

std::string to_string(CompareMode m) { return m == CompareMode::ratio ? "ratio" : "absolute"; }

bool parse_compare_mode(const std::string& s, CompareMode* out) {
  if (s == "ratio") *out = CompareMode::ratio;
  else if (s == "absolute") *out = CompareMode::absolute;
  else return false;
  return true;
}

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::no_change: return "no change";
    case Verdict::better: return "better";
    case Verdict::worse: return "worse";
    case Verdict::changed: return "changed";
    case Verdict::cannot_judge: return "cannot judge";
  }
  return "?";
}

bool RowKey::operator<(const RowKey& o) const {
  return std::tie(cell_label, datapath, variant) < std::tie(o.cell_label, o.datapath, o.variant);
}

int CompareResult::count(Verdict v) const {
  int n = 0;
  for (const auto& r : rows)
    for (const auto& m : r.metrics) n += m.verdict == v;
  return n;
}

CompareResult compare_reports(const Report& base, const Report& next, const CompareOptions& o) {
  if (!(o.alpha > 0 && o.alpha < 1)) throw std::invalid_argument(fmt::format("alpha {} is outside (0, 1)", o.alpha));
  if (!(o.threshold_pct >= 0)) throw std::invalid_argument(fmt::format("threshold {}% is negative", o.threshold_pct));
  for (const auto& [m, t] : o.thresholds_pct)
    if (!(t >= 0)) throw std::invalid_argument(fmt::format("threshold of {}: {}% is negative", m, t));

  CompareResult c;
  c.options = o;
  const Rows b = rows_of(base), n = rows_of(next);
  const double base_limit = std::isnan(o.noise_limit_pct) ? base.scenario.noise_limit_pct : o.noise_limit_pct;
  const double next_limit = std::isnan(o.noise_limit_pct) ? next.scenario.noise_limit_pct : o.noise_limit_pct;

  // Every metric name asked for must exist somewhere, or a typo would compare nothing, silently.
  if (!o.metrics.empty() && !(o.metrics.size() == 1 && o.metrics[0] == "all")) {
    std::set<std::string> known;
    for (const Rows* rs : {&b, &n})
      for (const auto& [k, row] : rs->rows)
        for (const MetricSpec& m : row.specs) known.insert(m.name);
    for (const auto& m : o.metrics)
      if (!known.count(m)) {
        std::string all;
        for (const auto& x : known) all += (all.empty() ? "" : ", ") + x;
        throw std::invalid_argument("unknown metric '" + m + "' (the reports' rows carry: " + all + ")");
      }
  }

  for (const RowKey& k : b.order)
    if (!n.rows.count(k)) c.only_in_base.push_back(k);
  for (const RowKey& k : n.order)
    if (!b.rows.count(k)) c.only_in_next.push_back(k);

  struct Slot {
    size_t row, metric;
  };
  std::vector<Slot> tested;
  std::vector<double> ps;
  for (const RowKey& k : b.order) {
    auto nit = n.rows.find(k);
    if (nit == n.rows.end()) continue;
    const Row& br = b.rows.at(k);
    const Row& nr = nit->second;
    const bool ratio = o.mode == CompareMode::ratio;
    if (ratio && (br.baseline.empty() || k.variant == br.baseline)) continue;   // the reference itself
    RowComparison rc{k, br.workload, br.kind, br.baseline, {}};
    for (const MetricSpec& spec : br.specs) {
      if (!selected(spec, o) || !spec_in(nr, spec.name)) continue;
      if (ratio) {   // a figure the baseline does not have (a datapath's own counter) has no ratio
        auto bl = b.rows.find(RowKey{k.cell_label, br.baseline, br.baseline});
        if (bl != b.rows.end() && !spec_in(bl->second, spec.name)) continue;
      }
      MetricComparison m;
      m.metric = spec.name;
      m.unit = ratio ? "×" : spec.unit;
      m.display_unit = ratio ? "×" : spec.display_unit.empty() ? spec.unit : spec.display_unit;
      m.display_scale = ratio ? 1 : spec.display_scale;
      m.direction = spec.direction;
      auto it = o.thresholds_pct.find(spec.name);
      m.threshold_pct = it == o.thresholds_pct.end() ? o.threshold_pct : it->second;
      auto get = [&](const Rows& rs, const Row& row) -> std::map<int, double> {
        auto v = row.values.find(spec.name);
        if (v == row.values.end()) return {};
        if (!ratio) return v->second;
        auto bl = rs.rows.find(RowKey{k.cell_label, row.baseline, row.baseline});
        if (bl == rs.rows.end()) return {};
        auto bv = bl->second.values.find(spec.name);
        return bv == bl->second.values.end() ? std::map<int, double>{} : ratios(v->second, bv->second);
      };
      const std::vector<double> xs = values_of(get(b, br)), ys = values_of(get(n, nr));
      m.n_base = int(xs.size());
      m.n_next = int(ys.size());
      if (xs.empty() || ys.empty()) {
        m.verdict = Verdict::cannot_judge;
        m.note = fmt::format("no ok {}run in {}", ratio ? "run with its baseline " : "", xs.empty() ? "BASE" : "NEW");
        rc.metrics.push_back(m);
        continue;
      }
      m.base_median = stats::median(xs);
      m.next_median = stats::median(ys);
      const double cvb = stats::cv_pct(xs), cvn = stats::cv_pct(ys);
      m.base_cv_pct = std::isfinite(cvb) ? cvb : 0;
      m.next_cv_pct = std::isfinite(cvn) ? cvn : 0;
      m.base_noisy = std::isfinite(cvb) && cvb > base_limit;
      m.next_noisy = std::isfinite(cvn) && cvn > next_limit;
      m.ratio = m.base_median != 0 ? m.next_median / m.base_median : m.next_median == 0 ? 1 : 0;
      const stats::MannWhitney mw = stats::mann_whitney_u(ys, xs);
      m.u = mw.u;
      m.p = mw.p;
      const stats::Shift hl = stats::hodges_lehmann(xs, ys, 1 - o.alpha);
      m.shift_pct = pct_of(hl.shift, m.base_median);
      m.shift_ci_low_pct = pct_of(hl.ci.low, m.base_median);
      m.shift_ci_high_pct = pct_of(hl.ci.high, m.base_median);
      tested.push_back({c.rows.size(), rc.metrics.size()});
      ps.push_back(m.p);
      rc.metrics.push_back(m);
    }
    c.rows.push_back(std::move(rc));
  }

  c.comparisons = ps.size();
  const std::vector<double> adj = o.correction == Correction::holm                 ? stats::holm(ps)
                                  : o.correction == Correction::benjamini_hochberg ? stats::benjamini_hochberg(ps)
                                                                                   : ps;
  const double family = o.correction == Correction::none ? 1.0 : double(std::max<size_t>(1, c.comparisons));
  c.min_attainable_p = 0;
  size_t unreachable = 0;
  std::pair<int, int> worst{0, 0};
  for (size_t i = 0; i < tested.size(); ++i) {
    MetricComparison& m = c.rows[tested[i].row].metrics[tested[i].metric];
    m.p_adjusted = adj[i];
    const double pmin = stats::min_two_sided_p(size_t(m.n_base), size_t(m.n_next));
    if (pmin > c.min_attainable_p) {
      c.min_attainable_p = pmin;
      worst = {m.n_base, m.n_next};
    }
    if (pmin * family >= o.alpha) ++unreachable;
    const bool significant = m.p_adjusted < o.alpha;
    const bool large = std::isfinite(m.shift_pct) && std::abs(m.shift_pct) >= m.threshold_pct;
    if (!significant || !large) m.verdict = Verdict::no_change;
    else if (m.direction == Direction::neither) m.verdict = Verdict::changed;
    else m.verdict = (m.shift_pct > 0) == (m.direction == Direction::higher_is_better) ? Verdict::better : Verdict::worse;
  }
  if (tested.empty()) c.min_attainable_p = 1;
  c.can_reach_alpha = !tested.empty() && unreachable == 0;
  if (unreachable) {
    const bool alone = c.min_attainable_p >= o.alpha;   // not even one test, uncorrected
    std::string what;
    if (alone || o.correction == Correction::holm)
      what = fmt::format("{} of {} comparisons can never reach p < {}", unreachable, tested.size(), o.alpha);
    else   // BH: a change shared by many rows can still show; one alone cannot
      what = fmt::format("a change in fewer than {} of the {} comparisons can never reach p < {} after the bh "
                         "correction (changes shared by many rows still can)",
                         int(std::ceil(c.min_attainable_p * family / o.alpha)), tested.size(), o.alpha);
    c.warnings.push_back(fmt::format(
        "too few repetitions: {} (at {} vs {} repetitions the smallest two-sided Mann-Whitney p is {:.3g}{}); "
        "where nothing shows, \"no change\" means \"not measurable\": run more repetitions{}",
        what, worst.first, worst.second, c.min_attainable_p,
        !alone && family > 1 ? fmt::format(", x {} comparisons", c.comparisons) : "",
        !alone && family > 1 ? " or compare fewer metrics (--metrics)" : ""));
  }

  // Geometric means of the median ratios, per variant and metric.
  std::map<std::pair<std::string, std::string>, DatapathSummary> gm;
  std::map<std::pair<std::string, std::string>, double> logsum;
  std::vector<std::pair<std::string, std::string>> gm_order;
  for (const RowComparison& r : c.rows)
    for (const MetricComparison& m : r.metrics) {
      if (m.verdict == Verdict::cannot_judge || !(m.ratio > 0)) continue;
      const auto key = std::make_pair(r.key.variant, m.metric);
      if (!gm.count(key)) {
        gm_order.push_back(key);
        gm[key] = DatapathSummary{r.key.variant, m.metric, m.direction, 0, 0, 0, 0, 0};
      }
      DatapathSummary& d = gm[key];
      ++d.rows;
      logsum[key] += std::log(m.ratio);
      d.better += m.verdict == Verdict::better;
      d.worse += m.verdict == Verdict::worse;
      d.changed += m.verdict == Verdict::changed;
    }
  for (const auto& key : gm_order) {
    DatapathSummary d = gm[key];
    d.geomean_ratio = std::exp(logsum[key] / d.rows);
    c.datapaths.push_back(d);
  }

  // Comparable at all? Say so; judging is still the caller's.
  if (base.scenario.name != next.scenario.name)
    c.warnings.push_back(fmt::format("different scenarios: '{}' and '{}'", base.scenario.name, next.scenario.name));
  else if (base.scenario.sha256 != next.scenario.sha256 || base.scenario.overrides != next.scenario.overrides)
    c.warnings.push_back("the scenario file or its --set overrides differ between the reports");
  if (base.scenario.duration_s != next.scenario.duration_s || base.scenario.warmup_s != next.scenario.warmup_s)
    c.warnings.push_back(fmt::format("different windows: {} s (+{} s warm-up) and {} s (+{} s warm-up)",
                                     base.scenario.duration_s, base.scenario.warmup_s, next.scenario.duration_s,
                                     next.scenario.warmup_s));
  const std::string bcpu = context_str(base, "cpu", "model"), ncpu = context_str(next, "cpu", "model");
  const std::string bk = context_str(base, "kernel", "release"), nk = context_str(next, "kernel", "release");
  if (o.mode == CompareMode::absolute && (bcpu != ncpu || bk != nk))
    c.warnings.push_back(fmt::format("measured on different machines or kernels ({} / {} and {} / {}): absolute "
                                     "figures differ by machine; --mode ratio compares each datapath to its baseline",
                                     bcpu, bk, ncpu, nk));
  if (!c.only_in_base.empty() || !c.only_in_next.empty())
    c.warnings.push_back(fmt::format("{} rows only in BASE, {} only in NEW", c.only_in_base.size(), c.only_in_next.size()));
  return c;
}

}  // namespace benchlab::reports
