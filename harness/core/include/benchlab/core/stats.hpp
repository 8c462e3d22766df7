// Descriptive statistics over repetitions and the rank test that gates regressions.
// Everything takes samples by value-span and never reorders the caller's data. Empty input has
// no quantile, mean or spread: those return NaN and callers decide what "undefined" means.
#pragma once

#include <cstddef>
#include <span>

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
