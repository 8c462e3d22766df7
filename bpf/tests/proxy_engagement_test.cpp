// The proxy engagement rule without a kernel: counter deltas in, verdict out.
#include <gtest/gtest.h>

#include "benchlab/bpf/tcp_proxy.hpp"

namespace bl = benchlab;
namespace blb = benchlab::bpf;

namespace {

bl::WorkloadResult received(uint64_t measured, uint64_t warmup = 0) {
  bl::WorkloadResult r;
  r.samples.push_back({0, 1, warmup, 0, 0, true});
  r.samples.push_back({1, 1, measured, 0, 0, false});
  return r;
}

TEST(ProxyEngagement, CopyAndSpliceNeedTheirForwardedBytes) {
  for (auto m : {blb::ProxyMode::copy, blb::ProxyMode::splice}) {
    auto ok = blb::evaluate_proxy_engagement(m, {{"forwarded_bytes", 990}}, received(1000, 1u << 30));
    EXPECT_TRUE(ok.checked);
    EXPECT_TRUE(ok.ok) << ok.message;
    auto bad = blb::evaluate_proxy_engagement(m, {{"forwarded_bytes", 989}}, received(1000));
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.message.find("98.90%"), std::string::npos) << bad.message;
  }
}

TEST(ProxyEngagement, SockmapNeedsRedirectsAndAlmostNoUserCopy) {
  const auto m = blb::ProxyMode::sockmap;
  EXPECT_TRUE(blb::evaluate_proxy_engagement(m, {{"redirected_bytes", 2000}, {"user_copied_bytes", 10}},
                                             received(1000)).ok);
  // User-space forwarding does not count as BPF's.
  EXPECT_FALSE(blb::evaluate_proxy_engagement(m, {{"forwarded_bytes", 2000}}, received(1000)).ok);
  auto copied = blb::evaluate_proxy_engagement(m, {{"redirected_bytes", 2000}, {"user_copied_bytes", 11}},
                                               received(1000));
  EXPECT_FALSE(copied.ok);
  EXPECT_NE(copied.message.find("user space copied"), std::string::npos) << copied.message;
}

TEST(ProxyEngagement, NothingReceivedProvesNothing) {
  auto e = blb::evaluate_proxy_engagement(blb::ProxyMode::copy, {{"forwarded_bytes", 5}}, received(0, 100));
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.carried_share, 0.0);
}

}  // namespace
