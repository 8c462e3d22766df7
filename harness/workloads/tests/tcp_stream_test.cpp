// tcp_stream over real benchlab topologies: short runs (1 s warm-up, 1 s measured) checking that
// the receiver's figures are self-consistent, warm-up is tagged, the message size reaches iperf,
// both families work, and failures are data: one bounded line in the result, which keeps the
// samples it has. No timing asserts beyond generous sanity bounds.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <cmath>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "benchlab/core/cell.hpp"
#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/registry.hpp"
#include "benchlab/netns/topology.hpp"
#include "benchlab/workloads/tcp.hpp"
#include "benchlab/workloads/tcp_common.hpp"
#include "forwarding_datapaths.hpp"

namespace benchlab {
namespace {

// The kernel baseline's behaviour, plus a record of where the client was sent.
class StubDatapath : public Datapath {
 public:
  std::string name() const override { return "stub"; }
  ConnectTarget client_target(const Endpoint& server, uint16_t port) const override {
    targets++;
    last_port = port;
    return {server.addr, port};
  }
  mutable int targets = 0;
  mutable uint16_t last_port = 0;
};

// A topology stitched from endpoints of others, to point a client at a place with no server.
class SplitTopology : public Topology {
 public:
  SplitTopology(Endpoint client, Endpoint server) : client_(client), server_(server) {}
  std::string kind() const override { return "split"; }
  const Endpoint& client() const override { return client_; }
  const Endpoint& server() const override { return server_; }
  std::vector<const Endpoint*> interfaces() const override { return {}; }

 private:
  Endpoint client_, server_;
};

std::string run_id(const std::string& tag) {
  static int n = 0;
  return "st" + std::to_string(getpid()) + tag + std::to_string(n++);
}

std::unique_ptr<Topology> loopback(Family f) {
  return netns::make_loopback({.family = f, .mtu = 1500, .run_id = run_id("l")});
}
std::unique_ptr<Topology> veth(Family f) {
  return netns::make_veth({.family = f, .mtu = 1500, .run_id = run_id("v")});
}

struct Outcome {
  WorkloadResult r;
  int begins = 0, ends = 0;
  double begin_s = 0, end_s = 0;
};

class TcpStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
    workloads::register_tcp_stream(reg_);
    entry_ = reg_.find("tcp_stream");
    ASSERT_NE(entry_, nullptr);
    options_ = OptionValues::defaults(entry_->options);
  }

  Outcome run(const Topology& topo, uint32_t message_size, uint32_t flows,
              double warmup_s = 1, double duration_s = 1, const Datapath* dp = nullptr) {
    const Cell cell = workloads::socket_cell("tcp_stream", message_size, flows);
    Outcome o;
    WorkloadContext ctx{.topo = topo, .cell = cell, .options = options_, .datapath = dp ? *dp : dp_,
                        .cpus = assign_cpus(CpuPlacement::cross_core, int(sysconf(_SC_NPROCESSORS_ONLN))),
                        .warmup_s = warmup_s, .duration_s = duration_s,
                        .hooks = {.begin = [&] { o.begins++; o.begin_s = mono_now_s(); },
                                  .end = [&] { o.ends++; o.end_s = mono_now_s(); }},
                        .verbose = false};
    o.r = entry_->factory()->run(ctx);
    return o;
  }

  WorkloadRegistry reg_;
  const WorkloadRegistry::Entry* entry_ = nullptr;
  OptionValues options_;
  StubDatapath dp_;
};

uint64_t measured_bytes(const WorkloadResult& r) {
  uint64_t b = 0;
  for (const auto& s : r.samples)
    if (!s.warmup) b += s.bytes;
  return b;
}

// What every successful run must satisfy.
void expect_consistent(const Outcome& o, uint32_t message_size, uint32_t flows) {
  const WorkloadResult& r = o.r;
  EXPECT_EQ(r.failure, "");
  ASSERT_FALSE(r.samples.empty());
  EXPECT_EQ(o.begins, 1);
  EXPECT_EQ(o.ends, 1);
  EXPECT_GT(o.end_s - o.begin_s, 0.8);
  EXPECT_LT(o.end_s - o.begin_s, 1.5);

  // Warm-up intervals are kept, tagged, and come first; measured ones follow.
  size_t warm = 0;
  while (warm < r.samples.size() && r.samples[warm].warmup) warm++;
  EXPECT_GE(warm, 1u);
  EXPECT_LT(warm, r.samples.size());
  for (size_t i = warm; i < r.samples.size(); i++) EXPECT_FALSE(r.samples[i].warmup) << "sample " << i;
  // Warm-up intervals end by the warm-up's end; measured ones start there and follow one
  // another without gaps. warm-up + duration is whole seconds here, so a cooldown sample can only
  // be the sliver iperf sometimes reports after its last full interval.
  for (size_t i = 0; i < warm; i++) {
    EXPECT_GE(r.samples[i].start_s, 0.0);
    EXPECT_LE(r.samples[i].start_s + r.samples[i].duration_s, 1.01);
  }
  EXPECT_NEAR(r.samples[warm].start_s, 1.0, 0.01);
  for (size_t i = warm + 1; i < r.samples.size(); i++)
    EXPECT_NEAR(r.samples[i].start_s, r.samples[i - 1].start_s + r.samples[i - 1].duration_s, 1e-3);
  for (size_t i = warm; i < r.samples.size(); i++)
    if (r.samples[i].cooldown) {
      EXPECT_EQ(i, r.samples.size() - 1);
      EXPECT_LT(r.samples[i].duration_s, 0.05);
    }

  // The samples are the receiver's, and add up to the receiver's own total.
  uint64_t bytes = measured_bytes(r);
  EXPECT_GT(bytes, 0u);
  uint64_t all_bytes = 0;
  for (const auto& s : r.samples) all_bytes += s.bytes;
  EXPECT_EQ(double(all_bytes), r.extra.at("receiver_bytes"));
  EXPECT_NEAR(r.window_s, 1.0, 0.01);
  // The sender's count differs from the receiver's by what sat in socket buffers at either end
  // of its own window: megabytes, a large share of a 1-second run on a busy machine.
  EXPECT_NEAR(r.extra.at("sender_bytes"), r.extra.at("receiver_bytes"), 0.25 * r.extra.at("receiver_bytes"));
  for (const auto& s : r.samples) EXPECT_EQ(s.messages, s.bytes / message_size);

  EXPECT_EQ(r.extra.at("iperf_blksize_bytes"), double(message_size));
  EXPECT_EQ(r.extra.at("iperf_num_streams"), double(flows));
  EXPECT_EQ(r.extra.at("iperf_omit_s"), 0.0);
  EXPECT_EQ(r.extra.at("iperf_duration_s"), 2.0);
  EXPECT_EQ(r.extra.at("iperf_version_major"), 3.0);
  // The payload check ran after the load: verify_bytes (4 MiB by default) split over the flows,
  // every byte checked.
  EXPECT_TRUE(r.payload_checked);
  EXPECT_EQ(r.payload_errors, 0u);
  EXPECT_EQ(r.extra.at("payload_check_bytes"), double((uint64_t(4) << 20) / flows * flows));

  ASSERT_EQ(r.processes.size(), 2u);
  for (const auto& p : r.processes) {
    EXPECT_TRUE(p.role == "client" || p.role == "server") << p.role;
    EXPECT_GT(p.user_s + p.system_s, 0.01) << p.role;
    EXPECT_GE(p.cpu, 0);
  }
}

TEST_F(TcpStreamTest, LoopbackIpv4) {
  options_.set("port", int64_t(5301));
  auto topo = loopback(Family::ipv4);
  Outcome o = run(*topo, 1024, 1);
  expect_consistent(o, 1024, 1);
  EXPECT_EQ(dp_.targets, 2);   // the load, then its payload check
  EXPECT_EQ(dp_.last_port, 5301);
}

TEST_F(TcpStreamTest, VethIpv6TwoFlowsOddMessageSize) {
  auto topo = veth(Family::ipv6);
  Outcome o = run(*topo, 3000, 2);
  expect_consistent(o, 3000, 2);
}

TEST_F(TcpStreamTest, VethIpv4) {
  auto topo = veth(Family::ipv4);
  Outcome o = run(*topo, 65536, 1);
  expect_consistent(o, 65536, 1);
}

TEST_F(TcpStreamTest, LoopbackIpv6Zerocopy) {
  options_.set("zerocopy", true);
  auto topo = loopback(Family::ipv6);
  Outcome o = run(*topo, 16384, 1);
  expect_consistent(o, 16384, 1);
}

// Runs that must fail: a result whose failure is one line naming the side that failed, well
// before any deadline.
void expect_bounded_failure(const std::function<WorkloadResult()>& fn, const std::string& side) {
  auto t0 = std::chrono::steady_clock::now();
  const WorkloadResult r = fn();
  std::cout << "  failure: " << r.failure << "\n";
  EXPECT_EQ(r.failure.rfind("tcp_stream " + side + ":", 0), 0u) << r.failure;
  EXPECT_EQ(r.failure.find('\n'), std::string::npos) << r.failure;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
}

TEST_F(TcpStreamTest, ServerAddressNotOnHostIsAFailure) {
  auto topo = loopback(Family::ipv4);
  Endpoint wrong = topo->server();
  wrong.addr = IpAddress::parse("198.18.0.9");
  SplitTopology split(topo->client(), wrong);
  expect_bounded_failure([&] { return run(split, 1024, 1).r; }, "server");
}

TEST_F(TcpStreamTest, NoServerIsAFailure) {
  // The server listens in one namespace; the client dials the same address in another, where
  // nothing listens.
  auto a = loopback(Family::ipv4);
  auto b = loopback(Family::ipv4);
  SplitTopology split(b->client(), a->server());
  expect_bounded_failure([&] { return run(split, 1024, 1).r; }, "client");
}

TEST_F(TcpStreamTest, UnreachableServerIsAFailure) {
  // The client's namespace has no route to the server's address.
  auto a = loopback(Family::ipv6);
  auto b = veth(Family::ipv4);
  SplitTopology split(b->client(), a->server());
  expect_bounded_failure([&] { return run(split, 1024, 1).r; }, "client");
}

// A datapath that corrupts a byte of the payload check (the load goes straight to the server):
// the run's result says so, with the load's samples and the check's counts, and nothing throws.
TEST_F(TcpStreamTest, TamperedPayloadIsAFailureThatKeepsTheSamples) {
  auto topo = loopback(Family::ipv4);
  testing::TamperingDatapath tamper(testing::Tamper::flip_byte, /*direct=*/1);
  Outcome o = run(*topo, 1024, 1, 0.5, 0.5, &tamper);
  EXPECT_EQ(o.r.failure, "tcp_stream: payload check: 1 reads differed from what was sent (first at flow 0 byte " +
                             std::to_string(testing::kAt - workloads::kSeedBytes) + ")");
  EXPECT_TRUE(o.r.payload_checked);
  EXPECT_EQ(o.r.payload_errors, 1u);
  EXPECT_EQ(o.r.extra.at("payload_check_bytes"), double(4 << 20));
  ASSERT_FALSE(o.r.samples.empty());
  EXPECT_GT(measured_bytes(o.r), 0u);
  EXPECT_EQ(o.r.processes.size(), 2u);
  EXPECT_EQ(o.begins, 1);
  EXPECT_EQ(o.ends, 1);
}

// Every connection is cut 0.7 s into the load: both iperf ends fail, and the receiver's
// intervals until then stay in the result with the reason.
TEST_F(TcpStreamTest, ConnectionsCutMidRunKeepTheReceiversSamples) {
  auto topo = loopback(Family::ipv4);
  testing::CuttingDatapath cutting(0.7);
  Outcome o = run(*topo, 1024, 1, 0.5, 0.5, &cutting);
  std::cout << "  failure: " << o.r.failure << "\n";
  EXPECT_EQ(o.r.failure.rfind("tcp_stream ", 0), 0u) << o.r.failure;
  EXPECT_NE(o.r.failure.find("server: iperf: "), std::string::npos) << o.r.failure;
  ASSERT_FALSE(o.r.samples.empty());
  EXPECT_GT(o.r.samples.front().bytes, 0u);
  EXPECT_FALSE(o.r.payload_checked);   // no check after a load that failed
}

TEST_F(TcpStreamTest, OutOfRangeCellIsRunErrorBeforeAnyProcess) {
  auto topo = loopback(Family::ipv4);
  EXPECT_THROW(run(*topo, 2 * 1024 * 1024, 1), RunError);
  EXPECT_THROW(run(*topo, 1024, 129), RunError);
}

}  // namespace
}  // namespace benchlab
