#include <gtest/gtest.h>

#include "benchlab/collectors.hpp"

using namespace benchlab;

TEST(ProcStat, ParsesPerCpuLinesOnly) {
  const char* text =
      "cpu  100 0 50 1000 0 0 10 0 0 0\n"
      "cpu0 60 1 30 500 2 3 6 4 0 0\n"
      "cpu1 40 0 20 500 0 0 4 0 0 0\n"
      "intr 12345\n";
  CpuSnapshot s = parse_proc_stat(text, 7.5, 100);
  ASSERT_EQ(s.per_cpu.size(), 2u);
  EXPECT_DOUBLE_EQ(s.mono_s, 7.5);
  EXPECT_DOUBLE_EQ(s.per_cpu[0].user_s, 0.6);
  EXPECT_DOUBLE_EQ(s.per_cpu[0].nice_s, 0.01);
  EXPECT_DOUBLE_EQ(s.per_cpu[0].system_s, 0.3);
  EXPECT_DOUBLE_EQ(s.per_cpu[0].idle_s, 5.0);
  EXPECT_DOUBLE_EQ(s.per_cpu[0].irq_s, 0.03);
  EXPECT_DOUBLE_EQ(s.per_cpu[0].softirq_s, 0.06);
  EXPECT_DOUBLE_EQ(s.per_cpu[0].steal_s, 0.04);
  EXPECT_DOUBLE_EQ(s.per_cpu[1].softirq_s, 0.04);
}

TEST(ProcStat, LiveReadHasEveryOnlineCpu) {
  CpuSnapshot s = read_proc_stat();
  EXPECT_GE(s.per_cpu.size(), 1u);
  EXPECT_GT(s.per_cpu[0].idle_s + s.per_cpu[0].user_s + s.per_cpu[0].system_s, 0);
}

TEST(Counters, DeltaCountsNewKeysFromZeroAndNeverWraps) {
  Counters a{{"x", 10}, {"y", 5}}, b{{"x", 15}, {"y", 3}, {"z", 7}};
  Counters d = counter_delta(a, b);
  EXPECT_EQ(d["x"], 5u);
  EXPECT_EQ(d["y"], 0u);
  EXPECT_EQ(d["z"], 7u);
}
