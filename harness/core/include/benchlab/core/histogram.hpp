// A log-linear (HDR-style) histogram of non-negative integer values, e.g. latencies in ns.
// Values below 2^sub_bits are exact; above, each power-of-two range is split into 2^(sub_bits-1)
// equal buckets, so any recorded value is reported within a relative error of 2^-(sub_bits-1)
// (0.8% with the default 8 bits). Fixed memory, O(1) record, mergeable.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace benchlab {

class Histogram {
 public:
  explicit Histogram(unsigned sub_bits = 8);

  void record(uint64_t v, uint64_t count = 1);
  void merge(const Histogram& other);   // same sub_bits required
  void reset();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const;
  // Value at quantile q in [0,1]: the upper bound of the bucket holding that rank,
  // clamped to the recorded max (so percentile(1.0) == max()).
  uint64_t percentile(double q) const;

  unsigned sub_bits() const { return sub_bits_; }
  // Bucket index <-> value range, exposed for tests and serialisation.
  size_t bucket_of(uint64_t v) const;
  uint64_t bucket_low(size_t i) const;
  uint64_t bucket_high(size_t i) const;   // inclusive

  // Sparse JSON: {"sub_bits":8,"count":..,"min":..,"max":..,"sum":..,"buckets":[[index,count],...]}
  nlohmann::json to_json() const;
  static Histogram from_json(const nlohmann::json& j);   // throws std::invalid_argument

 private:
  unsigned sub_bits_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0, min_ = UINT64_MAX, max_ = 0;
  long double sum_ = 0;
};

}  // namespace benchlab
