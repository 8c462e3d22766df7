// The kernel movers' engagement rule without a kernel: counter deltas in, verdict out.
#include <gtest/gtest.h>

#include "benchlab/bpf/sockmap_movers.hpp"
#include "benchlab/proxy/tcp_proxy.hpp"
#include "test_util.hpp"

namespace bl = benchlab;
namespace blb = benchlab::bpf;
namespace blp = benchlab::proxy;

namespace {

using benchlab::bpf::testing::one_sample;

bl::Engagement judge(const blp::CarryProof& proof, const bl::Counters& c, uint64_t received) {
  return blp::evaluate_proxy_engagement("proxy-sockmap", proof, c, one_sample(received));
}

TEST(SockmapProxyEngagement, SockmapNeedsRedirectsAndAlmostNoUserCopy) {
  for (const auto& proof : {blb::egress_redirect_proof(), blb::ingress_relay_proof()}) {
    EXPECT_TRUE(judge(proof, {{"redirected_bytes", 2000}, {"user_copied_bytes", 10}}, 1000).ok);
    // User-space forwarding does not count as BPF's.
    EXPECT_FALSE(judge(proof, {{"forwarded_bytes", 2000}}, 1000).ok);
    auto copied = judge(proof, {{"redirected_bytes", 2000}, {"user_copied_bytes", 11}}, 1000);
    EXPECT_FALSE(copied.ok);
    EXPECT_NE(copied.message.find("user space copied"), std::string::npos) << copied.message;
  }
}

TEST(SockmapProxyEngagement, RelayMemoryGuardFailsWhateverWasCarried) {
  const bl::Counters c{{"redirected_bytes", 2000}, {"memory_guard_trips", 1}};
  EXPECT_TRUE(judge(blb::egress_redirect_proof(), c, 1000).ok);
  auto e = judge(blb::ingress_relay_proof(), c, 1000);
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.carried_share, 0.0);
  EXPECT_NE(e.message.find("short of memory"), std::string::npos) << e.message;
}

}  // namespace
