#include "benchlab/core/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

namespace benchlab {
namespace {

// The exact q-quantile of a sorted sample, with the same rank rule as Histogram::percentile.
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, double q) {
  auto rank = uint64_t(std::ceil(q * double(sorted.size())));
  rank = std::clamp<uint64_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

TEST(Histogram, ExactBelowTwoToTheSubBits) {
  for (unsigned s : {1u, 4u, 8u}) {
    Histogram h(s);
    for (uint64_t v = 0; v < (uint64_t(1) << s); ++v) {
      EXPECT_EQ(h.bucket_of(v), v);
      EXPECT_EQ(h.bucket_low(v), v);
      EXPECT_EQ(h.bucket_high(v), v);
    }
  }
  Histogram h;
  std::vector<uint64_t> vals;
  for (uint64_t v = 0; v < 256; v += 3) {
    h.record(v);
    vals.push_back(v);
  }
  for (double q : {0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0}) EXPECT_EQ(h.percentile(q), exact_percentile(vals, q)) << q;
}

TEST(Histogram, BucketsTileTheValueRange) {
  for (unsigned s : {1u, 2u, 8u, 12u}) {
    Histogram h(s);
    // Consecutive buckets abut, every bucket contains its own bounds, and the last ends at 2^64-1.
    size_t last = h.bucket_of(UINT64_MAX);
    for (size_t i = 0; i <= last; ++i) {
      ASSERT_LE(h.bucket_low(i), h.bucket_high(i)) << "s=" << s << " i=" << i;
      ASSERT_EQ(h.bucket_of(h.bucket_low(i)), i) << "s=" << s << " i=" << i;
      ASSERT_EQ(h.bucket_of(h.bucket_high(i)), i) << "s=" << s << " i=" << i;
      if (i > 0) {
        ASSERT_EQ(h.bucket_high(i - 1) + 1, h.bucket_low(i)) << "s=" << s << " i=" << i;
      }
    }
    EXPECT_EQ(h.bucket_high(last), UINT64_MAX);
    EXPECT_EQ(h.bucket_low(0), 0u);
  }
}

TEST(Histogram, BoundedRelativeErrorAgainstSortedSample) {
  // Log-uniform values across 1 ns .. 10 s, as latencies spread.
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> exp10(0.0, 10.0);
  for (unsigned s : {4u, 8u, 11u}) {
    Histogram h(s);
    std::vector<uint64_t> vals;
    for (int i = 0; i < 200000; ++i) {
      auto v = uint64_t(std::pow(10.0, exp10(rng)));
      vals.push_back(v);
      h.record(v);
    }
    std::sort(vals.begin(), vals.end());
    const double bound = std::ldexp(1.0, -int(s - 1));
    for (double q : {0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
      uint64_t want = exact_percentile(vals, q), got = h.percentile(q);
      EXPECT_GE(got, want) << "s=" << s << " q=" << q;   // upper bound of the bucket holding the rank
      EXPECT_LE(double(got - want), bound * double(want)) << "s=" << s << " q=" << q;
    }
    EXPECT_EQ(h.min(), vals.front());
    EXPECT_EQ(h.max(), vals.back());
    EXPECT_EQ(h.percentile(1.0), h.max());
  }
}

TEST(Histogram, MinMaxMeanCount) {
  Histogram h;
  h.record(1000);
  h.record(3000, 3);
  h.record(17);
  h.record(5, 0);   // a zero count records nothing
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.min(), 17u);
  EXPECT_EQ(h.max(), 3000u);
  EXPECT_DOUBLE_EQ(h.mean(), (1000.0 + 9000.0 + 17.0) / 5.0);
  EXPECT_EQ(h.percentile(1.0), 3000u);
  EXPECT_EQ(h.percentile(0.0), 17u);
  // The upper bound of a bucket is clamped to the recorded max.
  Histogram one;
  one.record(1000001);
  EXPECT_EQ(one.percentile(0.5), 1000001u);
  EXPECT_EQ(one.percentile(1.0), 1000001u);
}

TEST(Histogram, HugeValues) {
  Histogram h;
  h.record(UINT64_MAX);
  h.record(uint64_t(1) << 63);
  EXPECT_EQ(h.max(), UINT64_MAX);
  EXPECT_EQ(h.percentile(1.0), UINT64_MAX);
  EXPECT_EQ(h.percentile(0.5), h.bucket_high(h.bucket_of(uint64_t(1) << 63)));
}

TEST(Histogram, Empty) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.percentile(1.0), 0u);
  Histogram back = Histogram::from_json(h.to_json());
  EXPECT_EQ(back.count(), 0u);
  EXPECT_EQ(back.min(), 0u);
}

TEST(Histogram, ResetForgetsEverything) {
  Histogram h;
  h.record(42, 10);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_TRUE(h.to_json()["buckets"].empty());
  h.record(7);
  EXPECT_EQ(h.min(), 7u);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> d(1, 10'000'000'000ull);
  Histogram a, b, all;
  for (int i = 0; i < 5000; ++i) {
    uint64_t v = d(rng);
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  Histogram m = a;
  m.merge(b);
  m.merge(Histogram());   // merging an empty one changes nothing
  EXPECT_EQ(m.count(), all.count());
  EXPECT_EQ(m.min(), all.min());
  EXPECT_EQ(m.max(), all.max());
  EXPECT_NEAR(m.mean(), all.mean(), all.mean() * 1e-12);
  EXPECT_EQ(m.to_json()["buckets"], all.to_json()["buckets"]);
  for (double q : {0.0, 0.5, 0.99, 1.0}) EXPECT_EQ(m.percentile(q), all.percentile(q));

  Histogram empty;
  empty.merge(a);
  EXPECT_EQ(empty.min(), a.min());
  EXPECT_EQ(empty.max(), a.max());

  Histogram other_bits(6);
  EXPECT_THROW(m.merge(other_bits), std::invalid_argument);
}

TEST(Histogram, JsonRoundTrip) {
  Histogram h(10);
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<uint64_t> d(0, 50'000'000);
  for (int i = 0; i < 3000; ++i) h.record(d(rng));
  const nlohmann::json j = h.to_json();
  EXPECT_EQ(j["sub_bits"], 10);
  EXPECT_EQ(j["count"], 3000);
  Histogram back = Histogram::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.sub_bits(), 10u);
  EXPECT_EQ(back.count(), h.count());
  EXPECT_EQ(back.min(), h.min());
  EXPECT_EQ(back.max(), h.max());
  EXPECT_DOUBLE_EQ(back.mean(), h.mean());
  EXPECT_EQ(back.to_json(), j);
  for (double q : {0.0, 0.5, 0.9, 0.999, 1.0}) EXPECT_EQ(back.percentile(q), h.percentile(q));
}

TEST(Histogram, FromJsonRejectsMalformedInput) {
  Histogram h;
  h.record(10);
  h.record(5000, 2);
  const nlohmann::json good = h.to_json();
  ASSERT_NO_THROW(Histogram::from_json(good));

  auto with = [&](const char* key, nlohmann::json v) {
    nlohmann::json j = good;
    j[key] = std::move(v);
    return j;
  };
  auto without = [&](const char* key) {
    nlohmann::json j = good;
    j.erase(key);
    return j;
  };
  const std::vector<nlohmann::json> broken = {
      nlohmann::json::array(),
      nlohmann::json("histogram"),
      nlohmann::json(nullptr),
      without("sub_bits"),
      without("count"),
      without("min"),
      without("max"),
      without("sum"),
      without("buckets"),
      with("sub_bits", 0),
      with("sub_bits", 40),
      with("sub_bits", "8"),
      with("count", -1),
      with("count", 2),                // buckets sum to 3
      with("count", 3.5),
      with("min", 6000),               // min > max
      with("min", 11),                 // not in the first non-empty bucket
      with("max", 99999),              // not in the last non-empty bucket
      with("sum", "a lot"),
      with("sum", -1.0),
      with("buckets", nlohmann::json::object()),
      with("buckets", nlohmann::json::array({nlohmann::json::array({10})})),
      with("buckets", nlohmann::json::array({nlohmann::json::array({10, 1, 2})})),
      with("buckets", nlohmann::json::array({nlohmann::json::array({-1, 3})})),
      with("buckets", nlohmann::json::array({nlohmann::json::array({10, 0}), nlohmann::json::array({h.bucket_of(5000), 3})})),
      with("buckets", nlohmann::json::array({nlohmann::json::array({1u << 30, 3})})),
      with("buckets", nlohmann::json::array({nlohmann::json::array({h.bucket_of(5000), 2}), nlohmann::json::array({10, 1})})),
      with("buckets", nlohmann::json::array({nlohmann::json::array({10, 1}), nlohmann::json::array({10, 2})})),
      with("buckets", nlohmann::json::array({nlohmann::json::array({"10", 3})})),
  };
  for (const auto& j : broken) EXPECT_THROW(Histogram::from_json(j), std::invalid_argument) << j.dump();

  nlohmann::json empty = Histogram().to_json();
  empty["max"] = 5;
  EXPECT_THROW(Histogram::from_json(empty), std::invalid_argument);
}

TEST(Histogram, ConstructorRejectsBadSubBits) {
  EXPECT_THROW(Histogram(0), std::invalid_argument);
  EXPECT_THROW(Histogram(17), std::invalid_argument);
  EXPECT_NO_THROW(Histogram(16));
}

}  // namespace
}  // namespace benchlab
