// The XDP engagement rule without a kernel: its own counters against the DUT link's.
#include <gtest/gtest.h>

#include "benchlab/bpf/xdp.hpp"

namespace benchlab::bpf {
namespace {

WindowCounters window(uint64_t ran, uint64_t dropped, uint64_t dut_rx, bool with_link = true) {
  WindowCounters w;
  w.datapath = {{"xdp_packets", ran}, {"xdp_drop_packets", dropped}, {"xdp_pass_packets", ran - dropped}};
  if (with_link) {
    LinkCounters gen{.role = "generator", .ifname = "veth0", .tx_packets = dut_rx};
    LinkCounters dut{.role = "dut", .ifname = "veth1", .rx_packets = dut_rx};
    w.links = {gen, dut};
  }
  return w;
}

TEST(XdpEngagement, EngagedWhenItRanOnWhatArrived) {
  Engagement e = evaluate_xdp_engagement("xdp-drop", XdpAction::drop, "dut", window(1000000, 1000000, 1000500));
  EXPECT_TRUE(e.checked);
  EXPECT_TRUE(e.ok) << e.message;
  EXPECT_GT(e.carried_share, 0.99);
}

TEST(XdpEngagement, FailsWhenFramesBypassedTheProgram) {
  Engagement e = evaluate_xdp_engagement("xdp-drop", XdpAction::drop, "dut", window(500000, 500000, 1000000));
  EXPECT_FALSE(e.ok);
  EXPECT_NE(e.message.find("veth1"), std::string::npos) << e.message;
  EXPECT_NEAR(e.carried_share, 0.5, 1e-9);
}

TEST(XdpEngagement, FailsOnTheWrongVerdict) {
  Engagement e = evaluate_xdp_engagement("xdp-drop", XdpAction::drop, "dut", window(1000, 10, 1000));
  EXPECT_FALSE(e.ok);
  EXPECT_NE(e.message.find("XDP_DROP"), std::string::npos) << e.message;
  EXPECT_TRUE(evaluate_xdp_engagement("xdp-pass", XdpAction::pass, "dut", window(1000, 10, 1000)).ok);
}

TEST(XdpEngagement, FailsWhenItRanOnNothing) {
  Engagement e = evaluate_xdp_engagement("xdp-pass", XdpAction::pass, "dut", window(0, 0, 0));
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.carried_share, 0);
}

TEST(XdpEngagement, WithoutLinkCountersOnlyOwnCountersAreChecked) {
  Engagement e = evaluate_xdp_engagement("xdp-drop", XdpAction::drop, "dut", window(1000, 1000, 0, false));
  EXPECT_TRUE(e.ok);
  EXPECT_NE(e.message.find("no link counters"), std::string::npos) << e.message;
}

TEST(XdpModes, NamesRoundTrip) {
  for (XdpAttachMode m : {XdpAttachMode::native, XdpAttachMode::generic})
    EXPECT_EQ(parse_xdp_attach_mode(to_string(m)), m);
  EXPECT_THROW(parse_xdp_attach_mode("offload"), std::invalid_argument);
  EXPECT_STREQ(to_string(XdpAction::drop), "drop");
}

TEST(XdpRegistry, RowsDeclarePacketKindAndTheAttachModeAxis) {
  DatapathRegistry reg;
  register_xdp_datapaths(reg);
  for (const char* name : {"xdp-drop", "xdp-pass"}) {
    const auto* e = reg.find(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->traffic, std::vector<TrafficKind>{"packet"});
    ASSERT_EQ(e->axes.size(), 1u);
    EXPECT_EQ(e->axes[0].name, "attach_mode");
    EXPECT_EQ(e->axes[0].choices, (std::vector<std::string>{"native", "generic"}));
  }
}

}  // namespace
}  // namespace benchlab::bpf
