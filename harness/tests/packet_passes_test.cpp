// The generator-bound rule and the handled rate it is computed from.
#include <gtest/gtest.h>

#include "benchlab/packet_passes.hpp"

namespace benchlab {
namespace {

TEST(PacketPasses, HandledRateCoversTheMeasuredSamplesOnly) {
  WorkloadResult r;
  r.samples = {{.start_s = 0, .duration_s = 0.5, .warmup = true, .packets = 999},
               {.start_s = 0.5, .duration_s = 0.5, .packets = 500},
               {.start_s = 1.0, .duration_s = 0.5, .packets = 1500},
               {.start_s = 1.5, .duration_s = 0.2, .cooldown = true, .packets = 999}};
  EXPECT_DOUBLE_EQ(handled_pps(r), 2000.0);
  EXPECT_EQ(handled_pps(WorkloadResult{}), 0.0);
}

TEST(PacketPasses, GeneratorBoundNeedsTheRateAndNoDrops) {
  EXPECT_TRUE(generator_bound(95, 0, 100));
  EXPECT_FALSE(generator_bound(94.9, 0, 100));
  EXPECT_FALSE(generator_bound(100, 1, 100)) << "a DUT that dropped was not waiting for the generator";
  EXPECT_FALSE(generator_bound(100, 0, 0)) << "no generator-alone figure: no label";
}

TEST(PacketPasses, LabelCountsRingRefusalsAsDutDrops) {
  reports::RunRecord rec;
  rec.result.samples = {{.start_s = 0, .duration_s = 1, .packets = 1000}};
  rec.result.extra = {{"acct_dropped", 0}, {"acct_refused", 0}};
  label_generator_bound(rec, 1000);
  EXPECT_EQ(rec.result.extra.at("generator_bound"), 1);
  EXPECT_EQ(rec.attributes.at("label"), "generator-bound");
  EXPECT_EQ(rec.result.extra.at("generator_alone_pps"), 1000);

  reports::RunRecord refused = rec;
  refused.attributes.clear();
  refused.result.extra["acct_refused"] = 5;
  label_generator_bound(refused, 1000);
  EXPECT_EQ(refused.result.extra.at("generator_bound"), 0);
  EXPECT_FALSE(refused.attributes.count("label"));
}

}  // namespace
}  // namespace benchlab
