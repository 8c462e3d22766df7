// Descriptive statistics over repetitions and the rank test that gates regressions.
// Everything takes samples by value-span and never reorders the caller's data. Empty input has
// no quantile, mean or spread: those return NaN and callers decide what "undefined" means.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace benchlab::stats {

// Sample quantile, linear interpolation between order statistics (Hyndman & Fan type 7, the
// default of numpy.quantile and R): h = (n-1)q, x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
// q is clamped to [0,1]. NaN for empty input.
double quantile(std::span<const double> xs, double q);
double median(std::span<const double> xs);

struct Quartiles {
  double q1 = 0, median = 0, q3 = 0;
  double iqr() const { return q3 - q1; }
};
Quartiles quartiles(std::span<const double> xs);   // type 7; NaN fields for empty input

double mean(std::span<const double> xs);
// Sample standard deviation (n-1 in the denominator); 0 for a single value, NaN for none.
double stddev(std::span<const double> xs);

// Coefficient of variation over repetitions, in percent: stddev / |mean| x 100 (sample stddev).
// 0 for a single value; NaN for none or a zero mean.
double cv_pct(std::span<const double> xs);

struct Interval {
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();
};

// Percentile bootstrap confidence interval of the median. `resamples` samples of xs.size() values
// drawn with replacement, each index uniform by rejection from a std::mt19937_64 seeded with
// `seed` (the engine's output is fixed by the standard, so every platform and every re-summary of
// a report draws the same resamples); the median of each; the interval between their type-7
// quantiles (1-confidence)/2 and (1+confidence)/2, as scipy.stats.bootstrap(method="percentile").
// NaN bounds for empty input; one value gives [x, x].
inline constexpr int kBootstrapResamples = 2000;
inline constexpr uint64_t kBootstrapSeed = 0x62656e63686c6162;   // "benchlab"
Interval bootstrap_median_ci(std::span<const double> xs, double confidence = 0.95,
                             int resamples = kBootstrapResamples, uint64_t seed = kBootstrapSeed);

// Hodges-Lehmann estimate of the shift `next - base`: the median of all n_base x n_next pairwise
// differences, with the distribution-free confidence interval that inverts the two-sided
// Mann-Whitney test: [D(k), D(N+1-k)] of the N sorted differences, k - 1 the largest u with
// P(U <= u) <= (1-confidence)/2 under the null (exact distribution without ties up to
// kExactCiMaxN per side, normal approximation beyond). NaN bounds when no k >= 1 exists (too
// few repetitions for that confidence) or a side is empty (then the shift is NaN too).
inline constexpr std::size_t kExactCiMaxN = 50;
struct Shift {
  double shift = std::numeric_limits<double>::quiet_NaN();
  Interval ci;
};
Shift hodges_lehmann(std::span<const double> base, std::span<const double> next, double confidence = 0.95);

// The smallest two-sided exact Mann-Whitney p that samples of n1 and n2 values can give (no ties):
// 2 / C(n1 + n2, n1), capped at 1. 3 vs 3 gives 0.1: such a test can never reach p < 0.05.
double min_two_sided_p(std::size_t n1, std::size_t n2);

// Multiple-comparison corrections: adjusted p-values in the input's order, each in [0, 1].
// Holm (step-down, controls the family-wise error rate); Benjamini-Hochberg (step-up, controls
// the false discovery rate). NaN inputs stay NaN and do not count towards the family.
std::vector<double> holm(std::span<const double> p);
std::vector<double> benjamini_hochberg(std::span<const double> p);

// The standard normal quantile (inverse CDF), to 1e-12 by bisection on erfc.
double normal_quantile(double p);

// Two-sided Mann-Whitney U (Wilcoxon rank-sum) test of "a and b come from the same
// distribution". `u` is the statistic of `a`: the number of pairs (x in a, y in b) with x > y,
// ties counting one half; U_b = n_a n_b - u.
//
// Exact: all C(n_a+n_b, n_a) splits of the pooled mid-ranks are enumerated and
// p = P(|U - n_a n_b/2| >= |u - n_a n_b/2|), which stays exact with ties.
// Asymptotic: the normal approximation with tie correction and continuity correction (as
// scipy.stats.mannwhitneyu(method="asymptotic")).
// Automatic takes the exact path when both samples have at most kExactMaxN values.
// With an empty sample there is nothing to test: p = 1.
struct MannWhitney {
  double u = 0;        // U of the first sample
  double p = 1;        // two-sided p-value
  double z = 0;        // normal score (continuity-corrected); 0 on the exact path
  bool exact = false;  // p came from full enumeration
};
inline constexpr std::size_t kExactMaxN = 8;
inline constexpr std::size_t kExactMaxTotal = 20;   // method::exact refuses more (2^n splits)
enum class Method { automatic, exact, asymptotic };
// Throws std::invalid_argument for Method::exact with more than kExactMaxTotal values.
MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b,
                           Method method = Method::automatic);

}  // namespace benchlab::stats
