// The verified transfer behind tcp_stream's payload check: it passes when the bytes arrive
// intact, and catches a flipped byte, a short flow and bytes shifted by a whole pattern cycle
// (forwarding_datapaths.hpp). What it cannot finish is its result's failure, with its counts.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "benchlab/core/cell.hpp"
#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/netns/topology.hpp"
#include "benchlab/workloads/stream_check.hpp"
#include "benchlab/workloads/tcp.hpp"
#include "benchlab/workloads/tcp_common.hpp"
#include "forwarding_datapaths.hpp"

namespace benchlab {
namespace {

using testing::kAt;
using testing::Tamper;
using testing::TamperingDatapath;
using workloads::stream_fill;

TEST(StreamFill, PiecesAtAnyBoundaryMatchTheWhole) {
  std::vector<uint8_t> whole(10000), piece(10000);
  stream_fill(7, 0, whole.data(), whole.size());
  for (size_t cut : {1, 3, 8, 9, 4093, 4096, 9999}) {
    stream_fill(7, 0, piece.data(), cut);
    stream_fill(7, cut, piece.data() + cut, whole.size() - cut);
    EXPECT_EQ(piece, whole) << "cut at " << cut;
  }
}

TEST(StreamFill, ShiftsAndOtherSeedsDiffer) {
  std::vector<uint8_t> a(65536), b(65536);
  stream_fill(7, 0, a.data(), a.size());
  for (uint64_t shift : {1, 8, 4093, 65521, 65536}) {
    stream_fill(7, shift, b.data(), b.size());
    EXPECT_NE(a, b) << "shift " << shift;
  }
  stream_fill(8, 0, b.data(), b.size());
  EXPECT_NE(a, b);
}

class PlainDatapath : public Datapath {   // the kernel baseline's behaviour
 public:
  std::string name() const override { return "plain"; }
};

class StreamCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
  }
  workloads::StreamCheckResult run(const Topology& topo, const Datapath& dp, uint32_t size, uint32_t flows,
                                   uint64_t per_flow, double timeout_s = 10) {
    const Cell cell = workloads::socket_cell("tcp_stream", size, flows);
    OptionValues none;
    WorkloadContext ctx{.topo = topo, .cell = cell, .options = none, .datapath = dp,
                        .cpus = assign_cpus(CpuPlacement::cross_core, int(sysconf(_SC_NPROCESSORS_ONLN))),
                        .warmup_s = 0, .duration_s = 0, .hooks = {}, .verbose = false};
    return workloads::run_stream_check(ctx, 5400, per_flow, timeout_s);
  }
  std::string id(const char* tag) { return "sc" + std::to_string(getpid()) + tag; }
};

TEST_F(StreamCheckTest, IntactOverLoopbackAndVethManyFlows) {
  PlainDatapath kernel_like;
  auto lo = netns::make_loopback({.family = Family::ipv4, .mtu = 1500, .run_id = id("l")});
  auto r = run(*lo, kernel_like, 64, 3, 200000);
  EXPECT_EQ(r.bytes, 3u * 200000u);
  EXPECT_EQ(r.bad_reads, 0u);
  EXPECT_EQ(r.first_mismatch, "");
  EXPECT_EQ(r.failure, "");
  auto v = netns::make_veth({.family = Family::ipv6, .mtu = 1500, .run_id = id("v")});
  r = run(*v, kernel_like, 65536, 2, 1 << 20);
  EXPECT_EQ(r.bytes, 2u << 20);
  EXPECT_EQ(r.bad_reads, 0u);
}

TEST_F(StreamCheckTest, ForwarderThatChangesNothingPasses) {
  auto lo = netns::make_loopback({.family = Family::ipv4, .mtu = 1500, .run_id = id("n")});
  TamperingDatapath dp(Tamper::none);
  auto r = run(*lo, dp, 1024, 1, 1 << 20);
  EXPECT_EQ(r.bytes, 1u << 20);
  EXPECT_EQ(r.bad_reads, 0u);
}

TEST_F(StreamCheckTest, AFlippedByteIsFoundWhereItIs) {
  auto lo = netns::make_loopback({.family = Family::ipv4, .mtu = 1500, .run_id = id("f")});
  TamperingDatapath dp(Tamper::flip_byte);
  auto r = run(*lo, dp, 1024, 1, 1 << 20);
  EXPECT_EQ(r.bytes, 1u << 20);
  EXPECT_EQ(r.bad_reads, 1u);
  EXPECT_EQ(r.first_mismatch, "flow 0 byte " + std::to_string(kAt - workloads::kSeedBytes));
  EXPECT_EQ(r.failure, "");   // a difference is counted; the caller fails the run
}

TEST_F(StreamCheckTest, DroppedBytesAreFoundEvenAWholeCycle) {
  auto lo = netns::make_loopback({.family = Family::ipv4, .mtu = 1500, .run_id = id("d")});
  TamperingDatapath dp(Tamper::drop_chunk);
  auto r = run(*lo, dp, 1024, 1, 1 << 20, 2);
  // The shifted bytes differ from the expected stream, and the flow never completes.
  EXPECT_NE(r.failure.find("payload-check server: payload check: timed out with 1 of 1 flows unfinished"),
            std::string::npos) << r.failure;
  EXPECT_NE(r.failure.find("differed, the first at flow 0 byte " + std::to_string(kAt - workloads::kSeedBytes)),
            std::string::npos) << r.failure;
  EXPECT_GE(r.bad_reads, 1u);
  EXPECT_GT(r.bytes, 0u);   // what the server checked before it gave up
}

TEST_F(StreamCheckTest, AShortFlowIsAFailureWithItsCounts) {
  auto lo = netns::make_loopback({.family = Family::ipv4, .mtu = 1500, .run_id = id("t")});
  TamperingDatapath dp(Tamper::truncate);
  auto r = run(*lo, dp, 1024, 1, 1 << 20);
  EXPECT_NE(r.failure.find("flow 0 ended after " + std::to_string(kAt - workloads::kSeedBytes) + " of 1048576 bytes"),
            std::string::npos) << r.failure;
  EXPECT_EQ(r.bytes, kAt - workloads::kSeedBytes);
  EXPECT_EQ(r.bad_reads, 0u);
}

}  // namespace
}  // namespace benchlab
