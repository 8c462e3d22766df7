// benchlab::stats (harness/src/stats.cpp). References are worked by hand, taken from scipy's
// documentation, or computed here by a second, deliberately naive method.
#include "benchlab/core/stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <tuple>
#include <vector>

namespace benchlab::stats {
namespace {

TEST(Quantile, LinearInterpolationType7) {
  // h = (n-1)q; numpy.quantile([1,2,3,4], [.25,.5,.75]) = [1.75, 2.5, 3.25].
  const std::vector<double> xs{4, 1, 3, 2};   // unsorted on purpose
  EXPECT_DOUBLE_EQ(quantile(xs, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile(xs, 0.50), 2.5);
  EXPECT_DOUBLE_EQ(quantile(xs, 0.75), 3.25);
  EXPECT_DOUBLE_EQ(quantile(xs, 0.0), 1);
  EXPECT_DOUBLE_EQ(quantile(xs, 1.0), 4);
  EXPECT_EQ(xs, (std::vector<double>{4, 1, 3, 2})) << "the caller's data is not reordered";

  // h = 4 * 0.9 = 3.6: 40 + 0.6 * (50 - 40).
  EXPECT_DOUBLE_EQ(quantile(std::vector<double>{10, 20, 30, 40, 50}, 0.9), 46);
  EXPECT_DOUBLE_EQ(quantile(std::vector<double>{10, 20, 30, 40, 50}, 1.5), 50) << "q clamps to 1";
}

TEST(Quantile, EdgeCases) {
  EXPECT_TRUE(std::isnan(quantile(std::vector<double>{}, 0.5)));
  EXPECT_DOUBLE_EQ(quantile(std::vector<double>{7}, 0.3), 7);
  EXPECT_DOUBLE_EQ(median(std::vector<double>{5, 1, 3}), 3);
  EXPECT_DOUBLE_EQ(median(std::vector<double>{5, 1, 3, 100}), 4);
}

TEST(Quartiles, AndIqr) {
  const Quartiles q = quartiles(std::vector<double>{10, 40, 20, 30});
  EXPECT_DOUBLE_EQ(q.q1, 17.5);
  EXPECT_DOUBLE_EQ(q.median, 25);
  EXPECT_DOUBLE_EQ(q.q3, 32.5);
  EXPECT_DOUBLE_EQ(q.iqr(), 15);
  EXPECT_TRUE(std::isnan(quartiles(std::vector<double>{}).median));
}

TEST(MeanStddev, SampleStatistics) {
  const std::vector<double> xs{2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(mean(xs), 5);
  // Squared deviations sum to 32; n - 1 = 7.
  EXPECT_DOUBLE_EQ(stddev(xs), std::sqrt(32.0 / 7.0));
  EXPECT_DOUBLE_EQ(stddev(std::vector<double>{3}), 0);
  EXPECT_TRUE(std::isnan(mean(std::vector<double>{})));
  EXPECT_TRUE(std::isnan(stddev(std::vector<double>{})));
}

// ------------------------------------------------------------------------ Mann-Whitney U

// U by its definition: pairs with x > y, ties counting one half.
double pairwise_u(const std::vector<double>& a, const std::vector<double>& b) {
  double u = 0;
  for (double x : a)
    for (double y : b) u += x > y ? 1 : x == y ? 0.5 : 0;
  return u;
}

// Exact two-sided p by relabelling: every arrangement of n_a "a" labels over the pooled values
// is equally likely; U is recounted pairwise for each. No ranks involved.
double brute_force_p(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> pool(a);
  pool.insert(pool.end(), b.begin(), b.end());
  std::vector<int> label(pool.size(), 0);
  std::fill(label.begin(), label.begin() + static_cast<long>(a.size()), 1);
  std::sort(label.begin(), label.end());
  const double mu = static_cast<double>(a.size() * b.size()) / 2;
  const double observed = std::abs(pairwise_u(a, b) - mu);
  uint64_t total = 0, extreme = 0;
  do {
    std::vector<double> x, y;
    for (size_t i = 0; i < pool.size(); ++i) (label[i] ? x : y).push_back(pool[i]);
    ++total;
    if (std::abs(pairwise_u(x, y) - mu) >= observed - 1e-9) ++extreme;
  } while (std::next_permutation(label.begin(), label.end()));
  return static_cast<double>(extreme) / static_cast<double>(total);
}

TEST(MannWhitney, CompletelySeparatedSmallSamples) {
  // Only 2 of the C(6,3) = 20 splits are this extreme (all low, all high): p = 0.1.
  const std::vector<double> lo{1, 2, 3}, hi{4, 5, 6};
  const MannWhitney r = mann_whitney_u(lo, hi);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 0);
  EXPECT_DOUBLE_EQ(r.p, 0.1);
  const MannWhitney s = mann_whitney_u(hi, lo);
  EXPECT_DOUBLE_EQ(s.u, 9);
  EXPECT_DOUBLE_EQ(s.p, 0.1);
}

TEST(MannWhitney, ScipyDocumentationExample) {
  // scipy.stats.mannwhitneyu docs: males vs females, U1 = 17; exact p = 1/9,
  // asymptotic p = 0.11134688653314041.
  const std::vector<double> males{19, 22, 16, 29, 24}, females{20, 11, 17, 12};
  const MannWhitney exact = mann_whitney_u(males, females);
  EXPECT_TRUE(exact.exact);
  EXPECT_DOUBLE_EQ(exact.u, 17);
  EXPECT_NEAR(exact.p, 1.0 / 9.0, 1e-15);

  const MannWhitney asym = mann_whitney_u(males, females, Method::asymptotic);
  EXPECT_FALSE(asym.exact);
  EXPECT_DOUBLE_EQ(asym.u, 17);
  EXPECT_NEAR(asym.p, 0.11134688653314041, 1e-12);
  EXPECT_GT(asym.z, 0) << "a is the larger sample: positive z";
}

TEST(MannWhitney, ExactMatchesBruteForceWithAndWithoutTies) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const size_t n1 = 1 + rng() % 7, n2 = 1 + rng() % 7;
    // Odd trials draw from a handful of values, so ties are common.
    const int range = trial % 2 ? 4 : 1000;
    std::vector<double> a, b;
    for (size_t i = 0; i < n1; ++i) a.push_back(static_cast<double>(rng() % range));
    for (size_t i = 0; i < n2; ++i) b.push_back(static_cast<double>(rng() % range) + (trial % 3 == 0 ? 1.5 : 0));
    const MannWhitney r = mann_whitney_u(a, b);
    ASSERT_TRUE(r.exact);
    EXPECT_DOUBLE_EQ(r.u, pairwise_u(a, b)) << "trial " << trial;
    EXPECT_NEAR(r.p, brute_force_p(a, b), 1e-12) << "trial " << trial;
  }
}

TEST(MannWhitney, ExactWithoutTiesMatchesTheClassicRecurrence) {
  // Without ties the null distribution of U is the count f(m, n, u) of splits, with
  // f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u): the textbook table, built independently here.
  std::map<std::tuple<int, int, int>, double> memo;
  std::function<double(int, int, int)> f = [&](int m, int n, int u) -> double {
    if (u < 0) return 0;
    if (m == 0 || n == 0) return u == 0 ? 1 : 0;
    auto key = std::make_tuple(m, n, u);
    if (auto it = memo.find(key); it != memo.end()) return it->second;
    return memo[key] = f(m - 1, n, u - n) + f(m, n - 1, u);
  };
  const std::vector<double> a{3.1, 8.2, 1.5, 9.9, 4.4, 7.0, 2.2, 6.6};
  const std::vector<double> b{5.0, 10.5, 11.1, 12.0, 0.5, 13.3, 14.2, 15.9};
  const MannWhitney r = mann_whitney_u(a, b);
  const int m = 8, n = 8, u = static_cast<int>(r.u);
  ASSERT_DOUBLE_EQ(r.u, pairwise_u(a, b));
  double total = 0, tail = 0;
  for (int k = 0; k <= m * n; ++k) total += f(m, n, k);
  for (int k = 0; k <= std::min(u, m * n - u); ++k) tail += f(m, n, k);
  EXPECT_DOUBLE_EQ(total, 12870);   // C(16, 8)
  EXPECT_NEAR(r.p, std::min(1.0, 2 * tail / total), 1e-15);
}

TEST(MannWhitney, NormalApproximation) {
  // No ties, n = 10 + 10, U = 0: sigma = sqrt(10*10*21/12) = sqrt(175),
  // z = (50 - 0.5)/sqrt(175) = 3.74185, p = erfc(z/sqrt 2) = 1.826718e-4.
  std::vector<double> lo, hi;
  for (int i = 1; i <= 10; ++i) lo.push_back(i), hi.push_back(i + 10);
  const MannWhitney r = mann_whitney_u(lo, hi);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 0);
  EXPECT_NEAR(r.z, -49.5 / std::sqrt(175.0), 1e-12);
  EXPECT_NEAR(r.p, 1.826717911095504e-4, 1e-15);

  // Overlap 6..10 gives five ties of two: sum(t^3 - t) = 30, U = 12.5,
  // sigma^2 = 100/12 * (21 - 30/380); p computed from those by hand (python math.erfc).
  std::vector<double> a, b;
  for (int i = 1; i <= 10; ++i) a.push_back(i), b.push_back(i + 5);
  const MannWhitney t = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(t.u, 12.5);
  EXPECT_NEAR(t.z, -37.0 / std::sqrt(100.0 / 12.0 * (21.0 - 30.0 / 380.0)), 1e-12);
  EXPECT_NEAR(t.p, 0.005075392315273926, 1e-14);
}

TEST(MannWhitney, DegenerateInputs) {
  const std::vector<double> same{5, 5, 5}, empty;
  const MannWhitney r = mann_whitney_u(same, same);
  EXPECT_DOUBLE_EQ(r.u, 4.5);
  EXPECT_DOUBLE_EQ(r.p, 1);
  const std::vector<double> many(12, 5.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u(many, many).p, 1) << "all tied, asymptotic: zero variance";
  EXPECT_DOUBLE_EQ(mann_whitney_u(empty, same).p, 1);
  EXPECT_DOUBLE_EQ(mann_whitney_u(same, empty).p, 1);
  const std::vector<double> big(21, 1.0);
  EXPECT_THROW(mann_whitney_u(big, same, Method::exact), std::invalid_argument);
}

}  // namespace
}  // namespace benchlab::stats
