// The regression gate: a comparison with the scenario's per-metric limits, mapped to pass /
// regression / cannot judge, and written as JUnit XML. It never passes by default: a case passes
// only when its row was measured on both sides, is not noisy, and the repetitions could have
// shown a regression had there been one.
#include <cmath>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "benchlab/reports/compare.hpp"

namespace benchlab::reports {
namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += "&#10;"; break;
      default:
        // XML 1.0 allows no other control characters, even escaped.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\r') out += '?';
        else out += ch;
    }
  }
  return out;
}

std::string cv_text(const MetricComparison& m) {
  return fmt::format("CV {:.1f}% / {:.1f}%", m.base_cv_pct, m.next_cv_pct);
}

std::string figures(const MetricComparison& m) {
  std::string ci = std::isfinite(m.shift_ci_low_pct) && std::isfinite(m.shift_ci_high_pct)
                       ? fmt::format("[{:+.1f}%, {:+.1f}%]", m.shift_ci_low_pct, m.shift_ci_high_pct)
                       : std::string("[no CI]");
  return fmt::format("{} {:.4g} -> {:.4g} {} (shift {:+.1f}% {}, p {:.3g}, adjusted {:.3g}; n {} / {}; {})",
                     m.metric, m.base_median, m.next_median, m.unit, m.shift_pct, ci, m.p, m.p_adjusted, m.n_base,
                     m.n_next, cv_text(m));
}

}  // namespace

bool parse_gate_limit(const std::string& s, double* out) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    return false;
  }
  if (used < s.size() && s.substr(used) == "%") ++used;
  if (used != s.size() || !std::isfinite(v) || v == 0) return false;
  *out = v;
  return true;
}

GateSpec gate_spec_of(const Report& next) {
  GateSpec g;
  const nlohmann::json& t = next.scenario.gates;
  if (t.is_null()) {
    // The documented default: every headline metric with a direction, 5% in its bad direction.
    auto add = [&](const std::vector<MetricSpec>& ms) {
      for (const MetricSpec& m : ms)
        if (m.headline && m.direction != Direction::neither)
          g.limits_pct[m.name] = m.direction == Direction::higher_is_better ? -kDefaultGatePct : kDefaultGatePct;
    };
    add(next.metrics.common);
    for (const auto& [w, ms] : next.metrics.workloads) add(ms);
    for (const auto& [d, ms] : next.metrics.datapaths) add(ms);
    return g;
  }
  if (!t.is_object()) throw std::runtime_error("scenario.gates: expected an object");
  for (const auto& [k, v] : t.items()) {
    const std::string where = "scenario.gates." + k;
    if (k == "alpha") {
      if (!v.is_number() || !(v.get<double>() > 0 && v.get<double>() < 1))
        throw std::runtime_error(where + ": expected a number in (0, 1)");
      g.alpha = v.get<double>();
    } else if (k == "correction") {
      if (!v.is_string() || !parse_correction(v.get<std::string>(), &g.correction))
        throw std::runtime_error(where + ": expected holm, bh or none");
    } else if (k == "compare") {
      if (!v.is_string() || !parse_compare_mode(v.get<std::string>(), &g.mode))
        throw std::runtime_error(where + ": expected ratio or absolute");
    } else {
      double pct = 0;
      if (!v.is_string() || !parse_gate_limit(v.get<std::string>(), &pct))
        throw std::runtime_error(where + ": expected a signed percentage like \"-5%\"");
      g.limits_pct[k] = pct;
    }
  }
  return g;
}

GateResult gate(const Report& base, const Report& next, const GateSpec& spec) {
  GateResult g;
  g.spec = spec;
  CompareOptions o;
  o.alpha = spec.alpha;
  o.correction = spec.correction;
  o.mode = spec.mode;
  for (const auto& [m, pct] : spec.limits_pct) {
    o.metrics.push_back(m);
    o.thresholds_pct[m] = std::abs(pct);
  }
  if (o.metrics.empty()) {
    g.reasons.push_back("nothing to gate: no gated metric");
    return g;
  }
  // A metric gated by default that neither report carries is not a typo: leave it out.
  std::set<std::string> carried;
  for (const Report* r : {&base, &next})
    for (const RunRecord& run : r->runs)
      for (const MetricSpec& m : metrics_of(r->metrics, run.cell.workload(), run.datapath)) carried.insert(m.name);
  std::vector<std::string> gated;
  for (const auto& m : o.metrics)
    if (carried.count(m)) gated.push_back(m);
  if (gated.empty()) {
    g.reasons.push_back("nothing to gate: neither report carries a gated metric");
    return g;
  }
  o.metrics = gated;
  g.comparison = compare_reports(base, next, o);
  const CompareResult& c = g.comparison;

  int regressions = 0, unjudged = 0;
  for (const RowComparison& r : c.rows)
    for (const MetricComparison& m : r.metrics) {
      GateCase gc{r.key, m.metric, GateStatus::pass, spec.limits_pct.at(m.metric), ""};
      if (m.verdict == Verdict::worse) {
        gc.status = GateStatus::regression;
        gc.message = fmt::format("regression beyond {:+g}%: {}", gc.limit_pct, figures(m));
      } else if (m.verdict == Verdict::cannot_judge) {
        gc.status = GateStatus::cannot_judge;
        gc.message = "cannot judge: " + m.note;
      } else if (m.base_noisy || m.next_noisy) {
        gc.status = GateStatus::cannot_judge;
        gc.message = fmt::format("cannot judge: noisy ({} above the noise limit): {}", cv_text(m), figures(m));
      } else if (!c.can_reach_alpha) {
        gc.status = GateStatus::cannot_judge;
        gc.message = fmt::format("cannot judge: too few repetitions to ever show a regression (smallest p {:.3g}): {}",
                                 c.min_attainable_p, figures(m));
      } else {
        gc.message = fmt::format("no regression beyond {:+g}%: {}", gc.limit_pct, figures(m));
      }
      regressions += gc.status == GateStatus::regression;
      unjudged += gc.status == GateStatus::cannot_judge;
      g.cases.push_back(std::move(gc));
    }
  // A row on one side only: what it would have shown is unknown.
  auto missing = [&](const std::vector<RowKey>& keys, const char* where) {
    for (const RowKey& k : keys) {
      if (spec.mode == CompareMode::ratio && k.datapath == k.variant) {
        // Baseline rows are not gated in ratio mode; their variants' cases say what is missing.
        bool is_baseline = false;
        for (const Report* r : {&base, &next})
          for (const auto& [kind, b] : r->metrics.baselines) is_baseline |= b == k.variant;
        if (is_baseline) continue;
      }
      g.cases.push_back({k, "(row)", GateStatus::cannot_judge, 0, fmt::format("cannot judge: the row is missing in {}", where)});
      ++unjudged;
    }
  };
  missing(c.only_in_base, "NEW");
  missing(c.only_in_next, "BASE");

  if (regressions) g.reasons.push_back(fmt::format("{} regression{}", regressions, regressions == 1 ? "" : "s"));
  if (unjudged) g.reasons.push_back(fmt::format("{} case{} cannot be judged", unjudged, unjudged == 1 ? "" : "s"));
  if (!c.can_reach_alpha && !c.rows.empty())
    for (const auto& w : c.warnings)
      if (w.rfind("too few repetitions", 0) == 0) g.reasons.push_back(w);
  if (g.cases.empty()) {
    g.reasons.push_back(spec.mode == CompareMode::ratio
                            ? "nothing to gate: ratio mode gates datapaths against their baseline and these reports "
                              "have no other datapath (gates.compare = \"absolute\" gates absolute figures)"
                            : "nothing to gate: no row carries a gated metric");
    g.status = GateStatus::cannot_judge;
  } else if (regressions) {
    g.status = GateStatus::regression;
  } else if (unjudged) {
    g.status = GateStatus::cannot_judge;
  } else {
    g.status = GateStatus::pass;
  }
  return g;
}

std::string junit_xml(const GateResult& g, const std::string& suite_name) {
  int failures = 0, errors = 0;
  for (const GateCase& c : g.cases) {
    failures += c.status == GateStatus::regression;
    errors += c.status == GateStatus::cannot_judge;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  auto to = std::back_inserter(out);
  fmt::format_to(to, "<testsuites name=\"benchlab gate\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n", g.cases.size(),
                 failures, errors);
  fmt::format_to(to, "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"0\">\n",
                 xml_escape(suite_name), g.cases.size(), failures, errors);
  fmt::format_to(to, "    <properties>\n      <property name=\"base\" value=\"{}\"/>\n      <property name=\"next\" value=\"{}\"/>\n",
                 xml_escape(g.comparison.base_label), xml_escape(g.comparison.next_label));
  fmt::format_to(to, "      <property name=\"compare\" value=\"{}\"/>\n      <property name=\"correction\" value=\"{}\"/>\n",
                 to_string(g.spec.mode), to_string(g.spec.correction));
  fmt::format_to(to, "      <property name=\"alpha\" value=\"{}\"/>\n    </properties>\n", g.spec.alpha);
  for (const GateCase& c : g.cases) {
    const std::string classname = xml_escape(suite_name + "." + c.key.cell_label);
    const std::string name = xml_escape(c.key.variant + " " + c.metric);
    if (c.status == GateStatus::pass) {
      fmt::format_to(to, "    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n      <system-out>{}</system-out>\n    </testcase>\n",
                     classname, name, xml_escape(c.message));
      continue;
    }
    const char* tag = c.status == GateStatus::regression ? "failure" : "error";
    const char* type = c.status == GateStatus::regression ? "regression" : "cannot_judge";
    fmt::format_to(to, "    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n      <{} message=\"{}\" type=\"{}\">{}</{}>\n    </testcase>\n",
                   classname, name, tag, xml_escape(c.message), type, xml_escape(c.message), tag);
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string gate_console(const GateResult& g) {
  std::string out;
  auto to = std::back_inserter(out);
  const char* word = g.status == GateStatus::pass ? "PASS" : g.status == GateStatus::regression ? "REGRESSION" : "CANNOT JUDGE";
  std::string limits;
  for (const auto& [m, pct] : g.spec.limits_pct) limits += fmt::format("{}{} {:+g}%", limits.empty() ? "" : ", ", m, pct);
  fmt::format_to(to, "gate ({} figures, {} correction, alpha {}): {}\n", to_string(g.spec.mode), to_string(g.spec.correction),
                 g.spec.alpha, limits);
  for (const GateCase& c : g.cases) {
    const char* s = c.status == GateStatus::pass ? "pass" : c.status == GateStatus::regression ? "FAIL" : "????";
    fmt::format_to(to, "  {} {} {} {}: {}\n", s, c.key.cell_label, c.key.variant, c.metric, c.message);
  }
  std::string why;
  for (const auto& r : g.reasons) why += (why.empty() ? "" : "; ") + r;
  fmt::format_to(to, "{}{}\n", word, why.empty() ? "" : ": " + why);
  return out;
}

}  // namespace benchlab::reports
