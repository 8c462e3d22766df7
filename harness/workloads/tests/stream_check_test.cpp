// The verified transfer behind tcp_stream's payload check: it passes when the bytes arrive
// intact, and catches a flipped byte, a short flow and bytes shifted by a whole pattern cycle.
// A test datapath puts a small forwarder between client and server (as a proxy datapath does)
// and tampers with the stream in a chosen way.
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

namespace benchlab {
namespace {

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

enum class Tamper { none, flip_byte, truncate, drop_chunk };

// Listens on port + 1000 at the server's address and forwards one connection to the server,
// tampering with the client's bytes at stream offset kAt (the 8-byte seed comes first).
constexpr uint64_t kAt = 100000;

void forward(int lfd, const sockaddr_storage& up, socklen_t up_len, Tamper how) {
  int c = ::accept(lfd, nullptr, nullptr);
  if (c < 0) throw SystemError("accept", errno);
  int u = ::socket(up.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (u < 0 || ::connect(u, reinterpret_cast<const sockaddr*>(&up), up_len) != 0) throw SystemError("connect", errno);
  std::vector<uint8_t> buf(65536);
  uint64_t pos = 0;
  bool client_open = true;
  for (;;) {
    pollfd p[2] = {{client_open ? c : -1, POLLIN, 0}, {u, POLLIN, 0}};
    if (::poll(p, 2, 10000) <= 0) throw RunError("forwarder: idle for 10 s");
    if (p[1].revents) {   // the server closes when it is done: so do we
      ::close(c);
      ::close(u);
      return;
    }
    ssize_t n = ::read(c, buf.data(), buf.size());
    if (n <= 0) {
      ::shutdown(u, SHUT_WR);
      client_open = false;
      continue;
    }
    size_t len = size_t(n), from = 0;
    if (pos <= kAt && kAt < pos + len) {
      size_t i = size_t(kAt - pos);
      if (how == Tamper::flip_byte) buf[i] ^= 0x01;
      if (how == Tamper::truncate) {   // forward up to kAt, then close both ways
        if (::write(u, buf.data(), i) != ssize_t(i)) throw SystemError("write", errno);
        ::close(u);
        ::close(c);
        return;
      }
      if (how == Tamper::drop_chunk) {   // leave out 4093 bytes (one cycle of tcp_rr's pattern)
        size_t k = std::min<size_t>(4093, len - i);
        std::memmove(buf.data() + i, buf.data() + i + k, len - i - k);
        len -= k;
      }
    }
    pos += size_t(n);
    for (; from < len;) {
      ssize_t w = ::write(u, buf.data() + from, len - from);
      if (w <= 0) throw SystemError("write", errno);
      from += size_t(w);
    }
  }
}

class TamperingDatapath : public Datapath {
 public:
  explicit TamperingDatapath(Tamper how) : how_(how) {}
  std::string name() const override { return "tamper"; }
  ConnectTarget client_target(const Endpoint& server, uint16_t port) const override {
    const uint16_t fport = uint16_t(port + 1000);
    socklen_t up_len = 0, at_len = 0;
    sockaddr_storage up = to_sockaddr(server.addr, port, &up_len);
    sockaddr_storage at = to_sockaddr(server.addr, fport, &at_len);
    Tamper how = how_;
    fwd_.emplace(ChildProcess::spawn({
        .role = "forwarder",
        .ns = server.ns,
        .cgroup = "",
        .cpu = -1,
        .body = [=](ChildChannel& ch) {
          int lfd = ::socket(at.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
          int one = 1;
          ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
          if (::bind(lfd, reinterpret_cast<const sockaddr*>(&at), at_len) != 0 || ::listen(lfd, 4) != 0)
            throw SystemError("forwarder bind/listen", errno);
          ch.ready();
          forward(lfd, up, up_len, how);
          return nlohmann::json::object();
        },
    }));
    fwd_->await_ready(Clock::now() + std::chrono::seconds(5));
    return {server.addr, fport};
  }

 private:
  Tamper how_;
  mutable std::optional<ChildProcess> fwd_;
};

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
}

TEST_F(StreamCheckTest, DroppedBytesAreFoundEvenAWholeCycle) {
  auto lo = netns::make_loopback({.family = Family::ipv4, .mtu = 1500, .run_id = id("d")});
  TamperingDatapath dp(Tamper::drop_chunk);
  EXPECT_THROW(
      {
        try {
          run(*lo, dp, 1024, 1, 1 << 20, 2);
        } catch (const RunError& e) {
          // The shifted bytes differ from the expected stream, and the flow never completes.
          const std::string m = e.what();
          EXPECT_NE(m.find("timed out with 1 of 1 flows unfinished"), std::string::npos) << m;
          EXPECT_NE(m.find("differed, the first at flow 0 byte " + std::to_string(kAt - workloads::kSeedBytes)),
                    std::string::npos) << m;
          throw;
        }
      },
      RunError);
}

TEST_F(StreamCheckTest, AShortFlowIsARunError) {
  auto lo = netns::make_loopback({.family = Family::ipv4, .mtu = 1500, .run_id = id("t")});
  TamperingDatapath dp(Tamper::truncate);
  try {
    run(*lo, dp, 1024, 1, 1 << 20);
    ADD_FAILURE() << "a truncated flow passed";
  } catch (const RunError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("flow 0 ended after " + std::to_string(kAt - workloads::kSeedBytes) + " of 1048576 bytes"),
              std::string::npos) << m;
  }
}

}  // namespace
}  // namespace benchlab
