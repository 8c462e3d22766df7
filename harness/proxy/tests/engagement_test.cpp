// The proxy engagement rule without a kernel: counter deltas in, verdict out.
#include <gtest/gtest.h>

#include "benchlab/proxy/tcp_proxy.hpp"
#include "benchlab/proxy/user_space_movers.hpp"

namespace bl = benchlab;
namespace blp = benchlab::proxy;

namespace {

bl::WorkloadResult received(uint64_t measured, uint64_t warmup = 0) {
  bl::WorkloadResult r;
  r.samples.push_back({0, 1, warmup, 0, 0, true});
  r.samples.push_back({1, 1, measured, 0, 0, false});
  return r;
}

TEST(ProxyEngagement, CopyAndSpliceNeedTheirForwardedBytes) {
  const blp::CarryProof proof = blp::forwarding_proof();
  auto ok = blp::evaluate_proxy_engagement("proxy-copy", proof, {{"forwarded_bytes", 990}}, received(1000, 1u << 30));
  EXPECT_TRUE(ok.checked);
  EXPECT_TRUE(ok.ok) << ok.message;
  auto bad = blp::evaluate_proxy_engagement("proxy-copy", proof, {{"forwarded_bytes", 989}}, received(1000));
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.message.find("98.90%"), std::string::npos) << bad.message;
  EXPECT_EQ(bad.message.rfind("proxy-copy: the proxy forwarded 989 B", 0), 0u) << bad.message;
}

TEST(ProxyEngagement, NothingReceivedProvesNothing) {
  auto e = blp::evaluate_proxy_engagement("proxy-splice", blp::forwarding_proof(), {{"forwarded_bytes", 5}},
                                          received(0, 100));
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.carried_share, 0.0);
}

TEST(ProxyEngagement, OverTheWholeRunThePayloadCheckCounts) {
  bl::WorkloadResult r = received(1000, 1000);
  r.extra["payload_check_bytes"] = 1000;
  const bl::Counters c{{"forwarded_bytes", 2970}};
  EXPECT_TRUE(blp::evaluate_proxy_engagement("proxy-copy", blp::forwarding_proof(), c, r, true).ok);
  EXPECT_FALSE(blp::evaluate_proxy_engagement("proxy-copy", blp::forwarding_proof(), {{"forwarded_bytes", 2960}},
                                              r, true).ok);
}

}  // namespace
