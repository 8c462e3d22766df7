#include "benchlab/core/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

// Layout. With S = sub_bits, indices [0, 2^S) hold the values 0 .. 2^S-1 exactly. Every later
// power-of-two range [2^k, 2^(k+1)), k = S..63, gets H = 2^(S-1) buckets of width 2^(k-S+1),
// indexed from 2^S + (k-S)*H. A value v >= 2^S sits in range k = floor(log2 v); its top S bits
// (v >> (k-S+1), in [H, 2H)) select the bucket. The width over the range's low end is 2^-(S-1),
// which bounds the relative error of any value reported from a bucket.

namespace benchlab {

namespace {

constexpr unsigned kMinSubBits = 1;
constexpr unsigned kMaxSubBits = 16;   // 1.6 M buckets (13 MB) already; more is never useful

size_t bucket_count(unsigned s) { return (size_t(1) << s) + size_t(64 - s) * (size_t(1) << (s - 1)); }

}  // namespace

Histogram::Histogram(unsigned sub_bits) : sub_bits_(sub_bits) {
  if (sub_bits < kMinSubBits || sub_bits > kMaxSubBits)
    throw std::invalid_argument("histogram: sub_bits " + std::to_string(sub_bits) + " outside [" +
                                std::to_string(kMinSubBits) + ", " + std::to_string(kMaxSubBits) + "]");
  counts_.assign(bucket_count(sub_bits), 0);
}

size_t Histogram::bucket_of(uint64_t v) const {
  const unsigned s = sub_bits_;
  if (v < (uint64_t(1) << s)) return size_t(v);
  const unsigned k = 63u - unsigned(std::countl_zero(v));
  const unsigned shift = k - s + 1;
  const uint64_t half = uint64_t(1) << (s - 1);
  return size_t((uint64_t(1) << s) + uint64_t(k - s) * half + ((v >> shift) - half));
}

uint64_t Histogram::bucket_low(size_t i) const {
  const unsigned s = sub_bits_;
  if (i < (size_t(1) << s)) return uint64_t(i);
  const size_t half = size_t(1) << (s - 1);
  const size_t j = i - (size_t(1) << s);
  const unsigned k = s + unsigned(j / half);
  return (uint64_t(half) + uint64_t(j % half)) << (k - s + 1);
}

uint64_t Histogram::bucket_high(size_t i) const {
  const unsigned s = sub_bits_;
  if (i < (size_t(1) << s)) return uint64_t(i);
  const size_t half = size_t(1) << (s - 1);
  const unsigned k = s + unsigned((i - (size_t(1) << s)) / half);
  // low + width - 1 never overflows, even for the last bucket (whose high is UINT64_MAX).
  return bucket_low(i) + ((uint64_t(1) << (k - s + 1)) - 1);
}

void Histogram::record(uint64_t v, uint64_t count) {
  if (count == 0) return;
  counts_[bucket_of(v)] += count;
  count_ += count;
  if (v < min_) min_ = v;
  if (v > max_) max_ = v;
  sum_ += static_cast<long double>(v) * static_cast<long double>(count);
}

void Histogram::merge(const Histogram& other) {
  if (other.sub_bits_ != sub_bits_)
    throw std::invalid_argument("histogram: cannot merge sub_bits " + std::to_string(other.sub_bits_) +
                                " into sub_bits " + std::to_string(sub_bits_));
  if (other.count_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  if (other.min_ < min_) min_ = other.min_;
  if (other.max_ > max_) max_ = other.max_;
  sum_ += other.sum_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

double Histogram::mean() const { return count_ ? double(sum_ / static_cast<long double>(count_)) : 0.0; }

uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  if (!(q >= 0)) q = 0;   // also catches NaN
  if (q > 1) q = 1;
  // The rank (1-based) of the q-quantile among the recorded values, as in a sorted array.
  auto rank = uint64_t(std::ceil(q * static_cast<long double>(count_)));
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(bucket_high(i), max_);
  }
  return max_;   // unreachable while counts_ sums to count_
}

nlohmann::json Histogram::to_json() const {
  nlohmann::json buckets = nlohmann::json::array();
  for (size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i]) buckets.push_back(nlohmann::json::array({i, counts_[i]}));
  return nlohmann::json{{"sub_bits", sub_bits_}, {"count", count_},          {"min", min()},
                        {"max", max_},           {"sum", double(sum_)},     {"buckets", std::move(buckets)}};
}

namespace {

[[noreturn]] void bad(const std::string& why) { throw std::invalid_argument("histogram JSON: " + why); }

uint64_t get_u64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) bad(std::string("missing \"") + key + "\"");
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0))
    bad(std::string("\"") + key + "\" is not a non-negative integer");
  return it->get<uint64_t>();
}

}  // namespace

Histogram Histogram::from_json(const nlohmann::json& j) {
  if (!j.is_object()) bad("not an object");
  const uint64_t sub_bits = get_u64(j, "sub_bits");
  if (sub_bits < kMinSubBits || sub_bits > kMaxSubBits) bad("sub_bits " + std::to_string(sub_bits) + " out of range");
  Histogram h{static_cast<unsigned>(sub_bits)};
  const uint64_t count = get_u64(j, "count");
  const uint64_t min = get_u64(j, "min");
  const uint64_t max = get_u64(j, "max");
  auto sum_it = j.find("sum");
  if (sum_it == j.end() || !sum_it->is_number() || !std::isfinite(sum_it->get<double>()) || sum_it->get<double>() < 0)
    bad("\"sum\" missing or not a non-negative number");
  auto b_it = j.find("buckets");
  if (b_it == j.end() || !b_it->is_array()) bad("\"buckets\" missing or not an array");

  uint64_t total = 0;
  size_t first = SIZE_MAX, last = 0;
  long long prev = -1;
  for (const auto& b : *b_it) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number_unsigned() || !b[1].is_number_unsigned())
      bad("bucket entries must be [index, count] with non-negative integers");
    const uint64_t idx = b[0].get<uint64_t>(), n = b[1].get<uint64_t>();
    if (idx >= h.counts_.size()) bad("bucket index " + std::to_string(idx) + " out of range");
    if ((long long)idx <= prev) bad("bucket indices must be strictly increasing");
    if (n == 0) bad("bucket " + std::to_string(idx) + " has a zero count");
    if (total + n < total) bad("bucket counts overflow");
    prev = (long long)idx;
    h.counts_[idx] = n;
    total += n;
    first = std::min(first, size_t(idx));
    last = size_t(idx);
  }
  if (total != count) bad("bucket counts sum to " + std::to_string(total) + ", not count " + std::to_string(count));
  if (count == 0) {
    if (min != 0 || max != 0) bad("empty histogram with non-zero min/max");
    return h;
  }
  if (min > max) bad("min > max");
  if (h.bucket_of(min) != first) bad("min is not in the first non-empty bucket");
  if (h.bucket_of(max) != last) bad("max is not in the last non-empty bucket");
  h.count_ = count;
  h.min_ = min;
  h.max_ = max;
  h.sum_ = static_cast<long double>(sum_it->get<double>());
  return h;
}

}  // namespace benchlab
