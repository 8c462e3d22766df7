#include "benchlab/core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <random>
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
    // ways[j][s]: the number of ways to choose j of the ranks seen so far with doubled-rank sum s.
    const int64_t observed = std::llabs(u2 - mu2);
    const auto max_sum = static_cast<size_t>(n * (n + 1));
    std::vector<std::vector<double>> ways(n1 + 1, std::vector<double>(max_sum + 1, 0.0));
    ways[0][0] = 1;
    for (size_t k = 0; k < n; ++k) {
      const auto r = static_cast<size_t>(rank2[k]);
      for (size_t j = std::min(k + 1, n1); j >= 1; --j)
        for (size_t s2 = max_sum; s2 >= r; --s2) {
          ways[j][s2] += ways[j - 1][s2 - r];
          if (s2 == r) break;
        }
    }
    double extreme = 0, total = 0;
    for (size_t s2 = 0; s2 <= max_sum; ++s2) {
      const double w = ways[n1][s2];
      if (w == 0) continue;
      total += w;
      if (std::llabs(static_cast<int64_t>(s2) - base2 - mu2) >= observed) extreme += w;
    }
    out.p = std::min(1.0, extreme / total);
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

double cv_pct(std::span<const double> xs) {
  if (xs.empty()) return kNaN;
  const double m = mean(xs);
  if (m == 0) return kNaN;
  return 100 * stddev(xs) / std::abs(m);
}

namespace {

// A uniform index in [0, n) from the engine's raw output, by rejection: std::uniform_int_distribution
// is implementation-defined, the engine's sequence is not.
size_t uniform_index(std::mt19937_64& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;   // 2^64 mod n: the biased low end
  for (;;) {
    const uint64_t r = rng();
    if (r >= threshold) return static_cast<size_t>(r % n);
  }
}

// Type-7 median of v, reordering v.
double median_inplace(std::vector<double>& v) {
  const size_t n = v.size(), mid = (n - 1) / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(mid), v.end());
  const double lo = v[mid];
  if (n % 2 == 1) return lo;
  const double hi = *std::min_element(v.begin() + static_cast<long>(mid) + 1, v.end());
  return lo + 0.5 * (hi - lo);
}

// Counts of U = 0..n1*n2 under the null without ties (all C(n1+n2, n1) splits), by the classic
// recurrence c(u; m, n) = c(u - n; m - 1, n) + c(u; m, n - 1), as doubles (C(100, 50) ~ 1e29).
std::vector<double> u_counts(size_t n1, size_t n2) {
  // f[j][u] for the current n (number of b values), j = 0..n1 a-values.
  std::vector<std::vector<double>> f(n1 + 1);
  for (auto& fj : f) fj = {1.0};   // no b value: U = 0, one way
  for (size_t n = 1; n <= n2; ++n) {
    std::vector<std::vector<double>> g(n1 + 1);
    g[0] = {1};
    for (size_t m = 1; m <= n1; ++m) {
      g[m].assign(m * n + 1, 0);
      for (size_t u = 0; u < f[m].size(); ++u) g[m][u] += f[m][u];          // c(u; m, n-1)
      for (size_t u = n; u < g[m].size(); ++u)                                // c(u-n; m-1, n)
        if (u - n < g[m - 1].size()) g[m][u] += g[m - 1][u - n];
    }
    f = std::move(g);
  }
  return f[n1];
}

}  // namespace

Interval bootstrap_median_ci(std::span<const double> xs, double confidence, int resamples, uint64_t seed) {
  Interval out;
  if (xs.empty() || resamples < 1) return out;
  if (xs.size() == 1) return {xs[0], xs[0]};
  std::mt19937_64 rng(seed);
  std::vector<double> medians(static_cast<size_t>(resamples)), draw(xs.size());
  for (double& m : medians) {
    for (double& d : draw) d = xs[uniform_index(rng, xs.size())];
    m = median_inplace(draw);
  }
  std::sort(medians.begin(), medians.end());
  const double tail = (1 - std::clamp(confidence, 0.0, 1.0)) / 2;
  out.low = quantile_sorted(medians, tail);
  out.high = quantile_sorted(medians, 1 - tail);
  return out;
}

Shift hodges_lehmann(std::span<const double> base, std::span<const double> next, double confidence) {
  Shift out;
  const size_t n1 = base.size(), n2 = next.size();
  if (n1 == 0 || n2 == 0) return out;
  std::vector<double> d;
  d.reserve(n1 * n2);
  for (double y : next)
    for (double x : base) d.push_back(y - x);
  std::sort(d.begin(), d.end());
  out.shift = quantile_sorted(d, 0.5);

  const double tail = (1 - std::clamp(confidence, 0.0, 1.0)) / 2;
  const size_t N = d.size();
  size_t k = 0;   // 1-based rank of the lower bound; 0: none at this confidence
  if (n1 <= kExactCiMaxN && n2 <= kExactCiMaxN) {
    const std::vector<double> c = u_counts(std::min(n1, n2), std::max(n1, n2));   // symmetric in n1, n2
    const double total = std::accumulate(c.begin(), c.end(), 0.0);
    double cum = 0;
    for (size_t u = 0; u < c.size(); ++u) {
      cum += c[u];
      if (cum / total > tail * (1 + 1e-12)) break;
      k = u + 1;
    }
  } else {
    const double mu = static_cast<double>(N) / 2;
    const double sd = std::sqrt(static_cast<double>(N) * static_cast<double>(n1 + n2 + 1) / 12);
    const double c = std::floor(mu - normal_quantile(1 - tail) * sd);
    if (c >= 1) k = static_cast<size_t>(c);
  }
  if (k >= 1 && k <= N / 2 + 1 && N + 1 - k >= k) out.ci = {d[k - 1], d[N - k]};
  return out;
}

double min_two_sided_p(size_t n1, size_t n2) {
  if (n1 == 0 || n2 == 0) return 1;
  // log C(n1+n2, n1) by lgamma: exact enough, and no overflow for large samples.
  const double log_c = std::lgamma(static_cast<double>(n1 + n2 + 1)) - std::lgamma(static_cast<double>(n1 + 1)) -
                       std::lgamma(static_cast<double>(n2 + 1));
  return std::min(1.0, 2 * std::exp(-log_c));
}

namespace {

// The indices of the finite p-values, sorted by p (stable, so equal p keep input order).
std::vector<size_t> order_of(std::span<const double> p) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < p.size(); ++i)
    if (!std::isnan(p[i])) idx.push_back(i);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t l, size_t r) { return p[l] < p[r]; });
  return idx;
}

}  // namespace

std::vector<double> holm(std::span<const double> p) {
  std::vector<double> out(p.begin(), p.end());
  const auto idx = order_of(p);
  const double m = static_cast<double>(idx.size());
  double running = 0;
  for (size_t i = 0; i < idx.size(); ++i) {
    running = std::max(running, std::min(1.0, (m - static_cast<double>(i)) * p[idx[i]]));
    out[idx[i]] = running;
  }
  return out;
}

std::vector<double> benjamini_hochberg(std::span<const double> p) {
  std::vector<double> out(p.begin(), p.end());
  const auto idx = order_of(p);
  const double m = static_cast<double>(idx.size());
  double running = 1;
  for (size_t i = idx.size(); i-- > 0;) {
    running = std::min(running, std::min(1.0, m * p[idx[i]] / static_cast<double>(i + 1)));
    out[idx[i]] = running;
  }
  return out;
}

double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) return p == 0 ? -std::numeric_limits<double>::infinity()
                               : p == 1 ? std::numeric_limits<double>::infinity()
                                        : kNaN;
  // Phi(x) = erfc(-x / sqrt 2) / 2 is increasing; bisect on [-40, 40].
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
    const double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace benchlab::stats
