// The accounting rule alone: which counters make up each stage, and the 0.1% bound.
#include <gtest/gtest.h>

#include "benchlab/workloads/packet_account.hpp"

namespace benchlab::workloads {
namespace {

PacketCounts live_run() {
  PacketCounts c;
  c.engine = PacketEngine::live_frames;
  c.generated = 1'000'000;
  c.generator.xdp_xmit = 900'000;
  c.generator.xdp_xmit_errors = 100'000;
  c.generator.tx_dropped = 100'000;   // veth counts ring-full refusals in tx_dropped too
  c.generator.tx_packets = 5;         // not what XDP_TX frames are counted by
  c.xdp_consumed = 600'000;
  c.socket_received = 250'000;
  c.dut.rxq_drops = 30'000;
  c.socket_drops = 20'000;
  return c;
}

TEST(PacketAccount, LiveFramesAddUp) {
  const PacketAccount a = account_packets(live_run());
  EXPECT_TRUE(a.ok) << a.message;
  EXPECT_EQ(a.left, 900'000u);
  EXPECT_EQ(a.refused, 100'000u);
  EXPECT_EQ(a.lost_before_leaving, 0);
  EXPECT_EQ(a.handled, 850'000u);
  EXPECT_EQ(a.dropped, 50'000u);
  EXPECT_EQ(a.unexplained, 0);
  EXPECT_EQ(a.figures().at("acct_ok"), 1.0);
}

TEST(PacketAccount, FramesLostBeforeLeavingFailWithTheNumbers) {
  PacketCounts c = live_run();
  c.generator.xdp_xmit -= 2'000;   // 0.2% never left and no counter says why
  c.xdp_consumed -= 2'000;
  const PacketAccount a = account_packets(c);
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.lost_before_leaving, 2'000);
  EXPECT_EQ(a.unexplained, 0);
  EXPECT_NE(a.message.find("lost before leaving 2000"), std::string::npos) << a.message;
}

TEST(PacketAccount, UnexplainedAtTheDutFails) {
  PacketCounts c = live_run();
  c.socket_received -= 1'001;   // just over 0.1% of 1 M
  EXPECT_FALSE(account_packets(c).ok);
  c.socket_received += 2;       // 999: within the bound
  const PacketAccount a = account_packets(c);
  EXPECT_TRUE(a.ok) << a.message;
  EXPECT_EQ(a.unexplained, 999);
}

TEST(PacketAccount, SendmmsgCountsWhatTheStackSent) {
  PacketCounts c;
  c.engine = PacketEngine::sendmmsg;
  c.generated = 10'000;
  c.generator.tx_packets = 10'000;
  c.socket_received = 9'000;
  c.udp_no_ports = 0;
  c.socket_drops = 1'000;
  EXPECT_TRUE(account_packets(c).ok);
  c.generator.tx_packets = 0;
  c.generator.xdp_xmit = 10'000;   // the stack's frames are not XDP_TX frames
  EXPECT_FALSE(account_packets(c).ok);
}

TEST(PacketAccount, NothingGeneratedIsNotOk) {
  const PacketAccount a = account_packets(PacketCounts{});
  EXPECT_FALSE(a.ok);
  EXPECT_NE(a.message.find("no frame generated"), std::string::npos);
}

TEST(PacketAccount, XdpConsumedCountsDropAndAbortedVerdicts) {
  EXPECT_EQ(xdp_consumed_of({{"xdp_drop_packets", 7}, {"xdp_aborted_packets", 2}, {"xdp_pass_packets", 100}}), 9u);
  EXPECT_EQ(xdp_consumed_of({}), 0u);
}

}  // namespace
}  // namespace benchlab::workloads
