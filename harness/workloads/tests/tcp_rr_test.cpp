// tcp_rr / tcp_crr over real benchlab topologies (loopback and veth, IPv4 and IPv6), with stub
// datapaths standing in for the kernel baseline, for a barrier that fails and for a connection
// cut in the middle of the run. Privileged: the topologies need root. One-second runs; timing is
// only checked against generous bounds. Failures are data: the result says why, with its samples.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/registry.hpp"
#include "benchlab/core/workload.hpp"
#include "benchlab/netns/topology.hpp"
#include "benchlab/workloads/tcp.hpp"
#include "benchlab/workloads/tcp_common.hpp"
#include "forwarding_datapaths.hpp"

namespace benchlab {
namespace {

// The matrix values a test cell takes.
struct Shape {
  int64_t message_size = 1024;
  int64_t flows = 1;
};

CpuAssignment pinned(int client, int server) {
  CpuAssignment a;
  a.set("client", client);
  a.set("server", server);
  return a;
}


// The kernel baseline's behaviour, plus a record of where the client was sent.
class StubDatapath : public Datapath {
 public:
  std::string name() const override { return "stub"; }
  ConnectTarget client_target(const Endpoint& server, uint16_t port) const override {
    ++targets;
    last_port = port;
    return {server.addr, port};
  }
  mutable int targets = 0;
  mutable uint16_t last_port = 0;
};

class FailingBarrier : public Datapath {
 public:
  std::string name() const override { return "failing-barrier"; }
  void await_socket(int) const override { throw RunError("stub barrier: socket never carried"); }
};

std::string run_id(const std::string& what) {
  static int n = 0;
  return "rrt" + std::to_string(getpid()) + what + std::to_string(n++);
}

const WorkloadRegistry& registry() {
  static WorkloadRegistry reg = [] {
    WorkloadRegistry r;
    workloads::register_tcp_rr(r);
    return r;
  }();
  return reg;
}

class TcpRrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
  }

  std::unique_ptr<Topology> topology(bool veth, Family family) {
    TopologyOptions o;
    o.family = family;
    o.run_id = run_id(veth ? "v" : "l");
    return veth ? netns::make_veth(o) : netns::make_loopback(o);
  }

  OptionValues options(const std::string& workload) {
    const auto* e = registry().find(workload);
    EXPECT_NE(e, nullptr);
    OptionValues v = OptionValues::defaults(e->options);
    v.set("interval_s", 0.1);
    return v;
  }

  WorkloadResult run(const std::string& workload, const Topology& topo, const Datapath& dp,
                     const OptionValues& opts, Shape shape, CpuAssignment cpus = {}) {
    const Cell cell = workloads::socket_cell(workload, shape.message_size, shape.flows);
    WorkloadContext ctx{.topo = topo, .cell = cell, .options = opts, .datapath = dp, .cpus = cpus};
    ctx.warmup_s = 0.3;
    ctx.duration_s = 1.0;
    ctx.hooks.begin = [this] { begun_ = mono_now_s(); };
    ctx.hooks.end = [this] { ended_ = mono_now_s(); };
    auto w = registry().find(workload)->factory();
    return w->run(ctx);
  }

  // What every successful run must satisfy.
  void check_run(const WorkloadResult& r, bool expect_warmup = true) {
    ASSERT_TRUE(r.latency_ns.has_value());
    const Histogram& h = *r.latency_ns;
    uint64_t measured = 0, warm = 0;
    double covered = 0;
    for (const auto& s : r.samples) {
      (s.warmup ? warm : measured) += s.transactions;
      if (!s.warmup) covered += s.duration_s;
      EXPECT_EQ(s.messages, s.transactions);
      EXPECT_GT(s.duration_s, 0);
    }
    EXPECT_GT(measured, 0u);
    if (expect_warmup) {
      EXPECT_GT(warm, 0u);
    }
    EXPECT_TRUE(r.samples.front().warmup);
    EXPECT_FALSE(r.samples.back().warmup);
    EXPECT_NEAR(covered, 1.0, 1e-6);
    EXPECT_EQ(h.count(), measured);
    EXPECT_LE(h.min(), h.percentile(0.5));
    EXPECT_LE(h.percentile(0.5), h.percentile(0.99));
    EXPECT_LE(h.percentile(0.99), h.max());
    EXPECT_GT(h.min(), 0u);
    EXPECT_LT(h.percentile(0.5), 1'000'000'000u);   // a median above 1 s would mean something is stuck
    EXPECT_TRUE(r.payload_checked);
    EXPECT_EQ(r.payload_errors, 0u);
    EXPECT_NEAR(r.window_s, 1.0, 0.05);
    ASSERT_EQ(r.processes.size(), 2u);
    double cpu = 0;
    for (const auto& p : r.processes) {
      EXPECT_TRUE(p.role == "client" || p.role == "server") << p.role;
      cpu += p.user_s + p.system_s;
    }
    EXPECT_GT(cpu, 0.01);
    EXPECT_GE(r.extra.at("server_requests"), double(measured));
    // The window hooks fired in order, about a second apart.
    EXPECT_GT(begun_, 0);
    EXPECT_NEAR(ended_ - begun_, 1.0, 0.2);
  }

  double begun_ = 0, ended_ = 0;
};

// The payload scheme, without sockets: the server learns the seed from the request's head and
// checks the rest; the response the client expects depends on the seed the server saw.
TEST(TcpRrPayload, RequestCheckAndResponseSeed) {
  using namespace workloads;
  for (size_t size : {1u, 3u, 8u, 9u, 100u, 70000u}) {
    const uint64_t seed = transaction_seed(42, 3, 7, size);
    if (size >= kSeedBytes) {
      EXPECT_NE(seed, transaction_seed(42, 3, 8, size));   // the sequence number matters
      EXPECT_NE(seed, transaction_seed(42, 4, 7, size));   // and so does the flow
    }
    std::vector<uint8_t> req(size);
    // Produced and checked in uneven chunks, as partial writes and reads deliver them.
    for (size_t off = 0; off < size;) {
      size_t n = std::min<size_t>(size - off, 1 + off % 13);
      request_fill(seed, off, req.data() + off, n);
      off += n;
    }
    RequestCheck check;
    for (size_t off = 0; off < size;) {
      size_t n = std::min<size_t>(size - off, 5 + off % 7);
      check.feed(off, req.data() + off, n);
      off += n;
    }
    EXPECT_TRUE(check.ok()) << size;
    EXPECT_EQ(check.seed(), seed) << size;

    // A flipped byte past the seed fails the server's check; one inside it changes the seed, so
    // the response no longer matches what the client expects.
    std::vector<uint8_t> bad = req;
    bad[size - 1] ^= 0x10;
    RequestCheck c2;
    c2.feed(0, bad.data(), size);
    if (size > kSeedBytes) {
      EXPECT_FALSE(c2.ok()) << size;
    } else {
      EXPECT_TRUE(c2.ok());
      std::vector<uint8_t> resp(64);
      pattern_fill(response_seed(c2.seed()), 0, resp.data(), resp.size());
      EXPECT_FALSE(pattern_matches(response_seed(seed), 0, resp.data(), resp.size())) << size;
    }
  }
  std::vector<uint8_t> resp(1000);
  pattern_fill(response_seed(5), 0, resp.data(), resp.size());
  EXPECT_TRUE(pattern_matches(response_seed(5), 0, resp.data(), resp.size()));
  EXPECT_TRUE(pattern_matches(response_seed(5), 333, resp.data() + 333, 100));
  EXPECT_FALSE(pattern_matches(response_seed(5), 332, resp.data() + 333, 100));
}

TEST_F(TcpRrTest, RegistersBothEntries) {
  for (const char* name : {"tcp_rr", "tcp_crr"}) {
    const auto* e = registry().find(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->traffic, std::vector<TrafficKind>{"stream"});
    OptionValues v = OptionValues::defaults(e->options);
    EXPECT_EQ(v.get_int("port"), 5300);
    EXPECT_EQ(v.get_int("response_size"), 0);
    EXPECT_TRUE(v.get_bool("verify_payload"));
    EXPECT_DOUBLE_EQ(v.get_number("interval_s"), 0.5);
  }
}

TEST_F(TcpRrTest, LoopbackIpv4OneFlow) {
  auto topo = topology(false, Family::ipv4);
  StubDatapath dp;
  auto r = run("tcp_rr", *topo, dp, options("tcp_rr"), Shape{.message_size = 64, .flows = 1});
  check_run(r);
  EXPECT_EQ(r.extra.at("server_connections"), 1);
  EXPECT_EQ(dp.targets, 1);
  EXPECT_EQ(dp.last_port, 5300);
  EXPECT_EQ(r.extra.at("request_bytes"), 64);
  EXPECT_EQ(r.extra.at("response_bytes"), 64);
  uint64_t bytes = 0, tx = 0;
  for (const auto& s : r.samples) bytes += s.bytes, tx += s.transactions;
  EXPECT_GE(bytes, tx * 64);
  std::printf("tcp_rr loopback 64B 1 flow: %.0f tx/s p50 %lu ns p99 %lu ns\n", double(r.latency_ns->count()) / r.window_s,
              (unsigned long)r.latency_ns->percentile(0.5), (unsigned long)r.latency_ns->percentile(0.99));
}

TEST_F(TcpRrTest, VethIpv4ManyFlowsAsymmetricAndLarge) {
  auto topo = topology(true, Family::ipv4);
  StubDatapath dp;
  OptionValues o = options("tcp_rr");
  o.set("response_size", int64_t(300000));   // larger than the scratch buffer and socket buffers
  auto r = run("tcp_rr", *topo, dp, o, Shape{.message_size = 100, .flows = 4}, pinned(0, 1));
  check_run(r);
  EXPECT_EQ(r.extra.at("server_connections"), 4);
  for (const auto& p : r.processes) EXPECT_EQ(p.cpu, p.role == "client" ? 0 : 1);
}

TEST_F(TcpRrTest, VethIpv6) {
  auto topo = topology(true, Family::ipv6);
  StubDatapath dp;
  auto r = run("tcp_rr", *topo, dp, options("tcp_rr"), Shape{.message_size = 1024, .flows = 2});
  check_run(r);
}

TEST_F(TcpRrTest, SameCoreAndUnverified) {
  auto topo = topology(false, Family::ipv4);
  StubDatapath dp;
  OptionValues o = options("tcp_rr");
  o.set("verify_payload", false);
  auto r = run("tcp_rr", *topo, dp, o, Shape{.message_size = 1, .flows = 1}, pinned(0, 0));
  EXPECT_FALSE(r.payload_checked);
  EXPECT_EQ(r.payload_errors, 0u);
  EXPECT_GT(r.latency_ns->count(), 0u);
}

TEST_F(TcpRrTest, CrrCompletesTransactions) {
  auto topo = topology(false, Family::ipv4);
  StubDatapath dp;
  auto r = run("tcp_crr", *topo, dp, options("tcp_crr"), Shape{.message_size = 200, .flows = 2});
  check_run(r);
  // One connection per transaction.
  EXPECT_GE(r.extra.at("server_connections"), double(r.latency_ns->count()));
  std::printf("tcp_crr loopback 200B 2 flows: %.0f tx/s p50 %lu ns p99 %lu ns\n",
              double(r.latency_ns->count()) / r.window_s, (unsigned long)r.latency_ns->percentile(0.5),
              (unsigned long)r.latency_ns->percentile(0.99));
}

TEST_F(TcpRrTest, CrrVethIpv6) {
  auto topo = topology(true, Family::ipv6);
  StubDatapath dp;
  auto r = run("tcp_crr", *topo, dp, options("tcp_crr"), Shape{.message_size = 64, .flows = 1});
  check_run(r);
}

TEST_F(TcpRrTest, FailingBarrierIsAFailureNotAnException) {
  auto topo = topology(false, Family::ipv4);
  FailingBarrier dp;
  const auto t0 = std::chrono::steady_clock::now();
  const WorkloadResult r = run("tcp_rr", *topo, dp, options("tcp_rr"), Shape{.message_size = 64, .flows = 1});
  std::printf("%s\n", r.failure.c_str());
  EXPECT_NE(r.failure.find("stub barrier"), std::string::npos) << r.failure;
  EXPECT_EQ(r.failure.rfind("tcp_rr ", 0), 0u) << r.failure;
  EXPECT_TRUE(r.samples.empty());   // nothing was measured
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
}

TEST_F(TcpRrTest, ConnectionRefusedIsAFailureNotAHang) {
  for (const char* workload : {"tcp_rr", "tcp_crr"}) {
    auto topo = topology(true, Family::ipv4);
    StubDatapath dp;
    OptionValues o = options(workload);
    o.set("connect_port", int64_t(5301));   // nothing listens there
    const auto t0 = std::chrono::steady_clock::now();
    const WorkloadResult r = run(workload, *topo, dp, o, Shape{.message_size = 64, .flows = 1});
    EXPECT_EQ(r.failure, std::string(workload) + " client: connect " + topo->server().addr.str() +
                             ":5301: Connection refused");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15)) << workload;
  }
}

// The connection dies in the middle of the measured window: the client returns what it
// measured until then, with the reason, and the server's counts come back too.
TEST_F(TcpRrTest, ConnectionCutMidRunKeepsTheSamplesSoFar) {
  auto topo = topology(false, Family::ipv4);
  testing::CuttingDatapath dp(0.8);   // warm-up 0.3 s, window 1 s: cut 0.5 s into the window
  const auto t0 = std::chrono::steady_clock::now();
  const WorkloadResult r = run("tcp_rr", *topo, dp, options("tcp_rr"), Shape{.message_size = 64, .flows = 1});
  std::printf("%s\n", r.failure.c_str());
  // A FIN, or a reset when a request was in the forwarder's buffer at the cut.
  EXPECT_EQ(r.failure.rfind("tcp_rr client: flow 0: ", 0), 0u) << r.failure;
  ASSERT_FALSE(r.samples.empty());
  uint64_t measured = 0;
  double covered = 0;
  for (const auto& s : r.samples)
    if (!s.warmup) measured += s.transactions, covered += s.duration_s;
  EXPECT_GT(measured, 0u);
  ASSERT_TRUE(r.latency_ns.has_value());
  EXPECT_EQ(r.latency_ns->count(), measured);
  EXPECT_LT(covered, 0.95);            // no intervals after the cut
  EXPECT_NEAR(r.window_s, 0.5, 0.3);   // the window observed ends at the cut
  EXPECT_GT(r.extra.at("server_requests"), 0);
  EXPECT_EQ(r.processes.size(), 2u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
}

// A response that never comes (the connection stays open): the client gives up a bounded time
// after the end, before the parent would kill it, and returns what it measured.
TEST_F(TcpRrTest, AStalledResponseIsATimeoutThatKeepsTheSamples) {
  auto topo = topology(false, Family::ipv4);
  testing::CuttingDatapath dp(0.8, /*stall=*/true);
  const auto t0 = std::chrono::steady_clock::now();
  const WorkloadResult r = run("tcp_rr", *topo, dp, options("tcp_rr"), Shape{.message_size = 64, .flows = 1});
  std::printf("%s\n", r.failure.c_str());
  EXPECT_EQ(r.failure, "tcp_rr client: flow 0: no response 5 s after the end of the run");
  uint64_t measured = 0;
  for (const auto& s : r.samples)
    if (!s.warmup) measured += s.transactions;
  EXPECT_GT(measured, 0u);
  ASSERT_TRUE(r.latency_ns.has_value());
  EXPECT_EQ(r.latency_ns->count(), measured);
  EXPECT_EQ(r.processes.size(), 2u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(12));
}

TEST_F(TcpRrTest, BackToBackRunsReuseThePort) {
  auto topo = topology(false, Family::ipv4);
  StubDatapath dp;
  OptionValues o = options("tcp_rr");
  // A first run leaves connections in TIME_WAIT on the port; the next server must still bind.
  auto r1 = run("tcp_rr", *topo, dp, o, Shape{.message_size = 32, .flows = 1});
  auto r2 = run("tcp_crr", *topo, dp, options("tcp_crr"), Shape{.message_size = 32, .flows = 1});
  EXPECT_GT(r1.latency_ns->count(), 0u);
  EXPECT_GT(r2.latency_ns->count(), 0u);
}

TEST_F(TcpRrTest, BadConfigurationIsARunError) {
  auto topo = topology(false, Family::ipv4);
  StubDatapath dp;
  EXPECT_THROW(run("tcp_rr", *topo, dp, options("tcp_rr"), Shape{.message_size = 0, .flows = 1}), RunError);
  EXPECT_THROW(run("tcp_rr", *topo, dp, options("tcp_rr"), Shape{.message_size = 64, .flows = 0}), RunError);
}

}  // namespace
}  // namespace benchlab
