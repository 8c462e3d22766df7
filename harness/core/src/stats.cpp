#include "benchlab/core/stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace benchlab::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> sorted_copy(std::span<const double> xs) {
  std::vector<double> v(xs.begin(), xs.end());
  std::sort(v.begin(), v.end());
  return v;
}

double quantile_sorted(const std::vector<double>& v, double q) {
  if (v.empty()) return kNaN;
  q = std::clamp(q, 0.0, 1.0);
  const double h = (static_cast<double>(v.size()) - 1) * q;
  const auto lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= v.size()) return v.back();
  return v[lo] + (h - static_cast<double>(lo)) * (v[lo + 1] - v[lo]);
}

}  // namespace

double quantile(std::span<const double> xs, double q) { return quantile_sorted(sorted_copy(xs), q); }

double median(std::span<const double> xs) { return quantile(xs, 0.5); }

Quartiles quartiles(std::span<const double> xs) {
  const auto v = sorted_copy(xs);
  return {quantile_sorted(v, 0.25), quantile_sorted(v, 0.5), quantile_sorted(v, 0.75)};
}

double mean(std::span<const double> xs) {
  if (xs.empty()) return kNaN;
  return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

double stddev(std::span<const double> xs) {
  if (xs.empty()) return kNaN;
  if (xs.size() == 1) return 0;
  const double m = mean(xs);
  double ss = 0;
  for (double x : xs) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(xs.size() - 1));
}

MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b, Method method) {
  MannWhitney out;
  const size_t n1 = a.size(), n2 = b.size(), n = n1 + n2;
  if (method == Method::exact && n > kExactMaxTotal)
    throw std::invalid_argument("mann_whitney_u: exact p for " + std::to_string(n) + " values (at most " +
                                std::to_string(kExactMaxTotal) + ")");
  if (n1 == 0 || n2 == 0) return out;

  // Pool, sort, and give each value twice its mid-rank: ties share (first+last) of their run,
  // which keeps every rank an integer so the exact path compares without rounding.
  struct Item { double v; bool from_a; };
  std::vector<Item> pool;
  pool.reserve(n);
  for (double x : a) pool.push_back({x, true});
  for (double y : b) pool.push_back({y, false});
  std::sort(pool.begin(), pool.end(), [](const Item& l, const Item& r) { return l.v < r.v; });

  std::vector<int64_t> rank2(n);   // 2 x mid-rank, in pooled order
  double tie_term = 0;             // sum of t^3 - t over runs of ties
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && pool[j + 1].v == pool[i].v) ++j;
    const auto r2 = static_cast<int64_t>(i + 1 + j + 1);
    for (size_t k = i; k <= j; ++k) rank2[k] = r2;
    const auto t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }

  int64_t ranksum2_a = 0;
  for (size_t k = 0; k < n; ++k)
    if (pool[k].from_a) ranksum2_a += rank2[k];
  const auto base2 = static_cast<int64_t>(n1 * (n1 + 1));   // 2 x n1(n1+1)/2
  const auto mu2 = static_cast<int64_t>(n1 * n2);           // 2 x n1 n2 / 2
  const int64_t u2 = ranksum2_a - base2;                    // 2U, an integer
  out.u = static_cast<double>(u2) / 2;

  const bool exact = method == Method::exact ||
                     (method == Method::automatic && n1 <= kExactMaxN && n2 <= kExactMaxN);
  if (exact) {
    // Every way of choosing which n1 of the pooled ranks belong to `a` is equally likely under
    // the null hypothesis; count those at least as far from the centre as the observed split.
    const int64_t observed = std::llabs(u2 - mu2);
    uint64_t extreme = 0, total = 0;
    for (uint32_t mask = 0; mask < (1u << n); ++mask) {
      if (static_cast<size_t>(std::popcount(mask)) != n1) continue;
      int64_t s2 = 0;
      for (size_t k = 0; k < n; ++k)
        if (mask & (1u << k)) s2 += rank2[k];
      ++total;
      if (std::llabs(s2 - base2 - mu2) >= observed) ++extreme;
    }
    out.p = static_cast<double>(extreme) / static_cast<double>(total);
    out.exact = true;
    return out;
  }

  const double dn = static_cast<double>(n);
  const double var = static_cast<double>(n1) * static_cast<double>(n2) / 12.0 *
                     ((dn + 1) - tie_term / (dn * (dn - 1)));
  if (var <= 0) return out;   // every value tied: no evidence either way, p = 1
  const double d = out.u - static_cast<double>(mu2) / 2;
  const double corrected = std::max(std::abs(d) - 0.5, 0.0);
  out.z = std::copysign(corrected / std::sqrt(var), d);
  out.p = std::min(1.0, std::erfc(std::abs(out.z) / std::sqrt(2.0)));
  return out;
}

}  // namespace benchlab::stats
