// The engagement rule on synthetic counters: no kernel needed.
#include <gtest/gtest.h>

#include "benchlab/bpf/sockhash_redirect.hpp"

namespace bl = benchlab;
using benchlab::bpf::evaluate_sockmap_engagement;
using benchlab::bpf::SockmapMode;

namespace {

// One interface's received packets, as the runner's collector records it.
bl::LinkCounters rx(const char* role, const char* ifname, uint64_t packets) {
  bl::LinkCounters l{.role = role, .ifname = ifname};
  l.rx_packets = packets;
  return l;
}

bl::WorkloadResult received(uint64_t warmup_bytes, uint64_t measured_bytes) {
  bl::WorkloadResult r;
  r.samples.push_back({0, 1, warmup_bytes, 0, 0, true});
  r.samples.push_back({1, 1, measured_bytes / 2, 0, 0, false});
  r.samples.push_back({2, 1, measured_bytes - measured_bytes / 2, 0, 0, false});
  return r;
}

TEST(SockmapEngagement, PassesWhenNearlyAllBytesRedirectedAndLinksQuiet) {
  bl::WindowCounters d{{{"redirected_bytes", 1'000'000}, {"miss_bytes", 0}, {"inserted", 0}},
                       {rx("client", "lo", 3)}};
  auto e = evaluate_sockmap_engagement(SockmapMode::msg, d, received(5'000'000, 1'000'500));
  EXPECT_TRUE(e.checked);
  EXPECT_TRUE(e.ok) << e.message;
  EXPECT_NEAR(e.carried_share, 0.9995, 1e-4);
}

TEST(SockmapEngagement, WarmupBytesDoNotCount) {
  // Counters cover the window only; comparing with warm-up included would halve the share.
  bl::WindowCounters d{{{"delivered_bytes", 1'000'000}}, {}};
  auto e = evaluate_sockmap_engagement(SockmapMode::skb_pass, d, received(1'000'000, 1'000'000));
  EXPECT_TRUE(e.ok) << e.message;
}

TEST(SockmapEngagement, FailsOnLowCoverage) {
  bl::WindowCounters d{{{"delivered_bytes", 900'000}}, {}};
  auto e = evaluate_sockmap_engagement(SockmapMode::skb_pass, d, received(0, 1'000'000));
  EXPECT_FALSE(e.ok);
  EXPECT_NE(e.message.find("90.00%"), std::string::npos) << e.message;
}

TEST(SockmapEngagement, FailsOnMissesEvenIfCoverageLooksFine) {
  // Request/response: redirected bytes may be twice what one side counts as received.
  bl::WindowCounters d{{{"redirected_bytes", 2'000'000}, {"miss_bytes", 100'000}}, {}};
  auto e = evaluate_sockmap_engagement(SockmapMode::msg, d, received(0, 1'000'000));
  EXPECT_FALSE(e.ok);
  EXPECT_NE(e.message.find("100000 B missed"), std::string::npos) << e.message;
}

TEST(SockmapEngagement, FailsWhenNothingReceived) {
  auto e = evaluate_sockmap_engagement(SockmapMode::msg, {{{"redirected_bytes", 10}}, {}}, received(5, 0));
  EXPECT_FALSE(e.ok);
}

TEST(SockmapEngagement, MsgFailsWhenTheLinkCarriedThePayload) {
  bl::WindowCounters d{{{"redirected_bytes", 1'000'000}, {"inserted", 2}},
                       {rx("client", "veth-c", 500), rx("server", "veth-s", 600)}};
  auto e = evaluate_sockmap_engagement(SockmapMode::msg, d, received(0, 1'000'000));
  EXPECT_FALSE(e.ok);
  EXPECT_NE(e.message.find("1100 packets"), std::string::npos) << e.message;
}

TEST(SockmapEngagement, MsgAllowsSetupTeardownPerInsertedSocket) {
  // 100 connections opened in the window (tcp_crr): 200 sockets, ~7-10 packets per connection.
  bl::WindowCounters d{{{"redirected_bytes", 1'000'000}, {"inserted", 200}}, {rx("client", "lo", 1000)}};
  auto e = evaluate_sockmap_engagement(SockmapMode::msg, d, received(0, 1'000'000));
  EXPECT_TRUE(e.ok) << e.message;   // 1000 <= 32 + 6*200
  d.links.front().rx_packets = 1233;  // one more than allowed
  EXPECT_FALSE(evaluate_sockmap_engagement(SockmapMode::msg, d, received(0, 1'000'000)).ok);
}

TEST(SockmapEngagement, SkbIgnoresLinkCounters) {
  bl::WindowCounters d{{{"delivered_bytes", 1'000'000}}, {rx("client", "lo", 100000)}};
  auto e = evaluate_sockmap_engagement(SockmapMode::skb_pass, d, received(0, 1'000'000));
  EXPECT_TRUE(e.ok) << e.message;
}

}  // namespace

namespace {

// Whole-run totals: the receive queue at the window's edges no longer matters, but the totals
// must still cover every byte the receiver read, warm-up included.
TEST(SockmapEngagement, WholeRunTotalsOverrideAWindowEdgeShortfall) {
  bl::WindowCounters window{{{"redirected_bytes", 985'000}, {"inserted", 0}}, {rx("client", "lo", 2)}};
  bl::WorkloadResult r = received(500'000, 1'000'000);
  EXPECT_FALSE(evaluate_sockmap_engagement(SockmapMode::msg, window, r).ok);
  bl::Counters totals{{"redirected_bytes", 1'500'100}};
  auto e = evaluate_sockmap_engagement(SockmapMode::msg, window, r, &totals);
  EXPECT_TRUE(e.ok) << e.message;
  bl::Counters short_totals{{"redirected_bytes", 1'400'000}};   // warm-up bytes not redirected
  auto bad = evaluate_sockmap_engagement(SockmapMode::msg, window, r, &short_totals);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.message.find("in the run"), std::string::npos) << bad.message;
}

}  // namespace
