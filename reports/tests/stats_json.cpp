// benchlab's statistics as a filter, for the cross-check against scipy (stats_scipy_check.py):
// reads {"pairs": [{"base": [...], "next": [...]}], "pvalues": [[...]], "samples": [[...]],
// "confidence": 0.95} on stdin and writes the same figures benchlab's summary and compare use.
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchlab/core/stats.hpp"

using nlohmann::json;
namespace st = benchlab::stats;

static json num(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

int main() {
  const json in = json::parse(std::string(std::istreambuf_iterator<char>(std::cin), {}));
  const double conf = in.value("confidence", 0.95);
  json out = {{"pairs", json::array()}, {"holm", json::array()}, {"bh", json::array()}, {"bootstrap", json::array()}};
  for (const auto& p : in["pairs"]) {
    const auto base = p["base"].get<std::vector<double>>(), next = p["next"].get<std::vector<double>>();
    const st::MannWhitney mw = st::mann_whitney_u(next, base);
    const st::MannWhitney asym = st::mann_whitney_u(next, base, st::Method::asymptotic);
    const st::Shift hl = st::hodges_lehmann(base, next, conf);
    out["pairs"].push_back({{"u", mw.u}, {"p", mw.p}, {"exact", mw.exact}, {"p_asymptotic", asym.p},
                            {"shift", num(hl.shift)}, {"ci_low", num(hl.ci.low)}, {"ci_high", num(hl.ci.high)},
                            {"min_p", st::min_two_sided_p(base.size(), next.size())}});
  }
  for (const auto& ps : in["pvalues"]) {
    const auto v = ps.get<std::vector<double>>();
    out["holm"].push_back(st::holm(v));
    out["bh"].push_back(st::benjamini_hochberg(v));
  }
  for (const auto& xs : in["samples"]) {
    const auto v = xs.get<std::vector<double>>();
    const st::Interval ci = st::bootstrap_median_ci(v, conf);
    out["bootstrap"].push_back({{"low", num(ci.low)}, {"high", num(ci.high)}, {"cv_pct", num(st::cv_pct(v))}});
  }
  std::cout << out.dump() << "\n";
  return 0;
}
