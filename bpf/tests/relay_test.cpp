// sockmap-skb (the proxy skeleton with the sockmap ingress relay mover) on a real kernel: the
// client talks to the relay, the relay's verdict redirects every skb into the ingress queue of
// the workload socket at the far end. A ping-pong of position-dependent messages (each end checks every byte) between two
// processes in the datapath's cgroup that pass its readiness barrier, as workloads do.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "benchlab/bpf/sockmap_movers.hpp"
#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/netns/topology.hpp"
#include "benchlab/proxy/tcp_proxy.hpp"
#include "test_util.hpp"

namespace bl = benchlab;
namespace blb = benchlab::bpf;
namespace blp = benchlab::proxy;
namespace nn = benchlab::netns;

namespace {

using benchlab::bpf::testing::dump;
using benchlab::bpf::testing::minus;
using benchlab::bpf::testing::output_of;

constexpr uint16_t kPort = 5600;
constexpr size_t kMsg = 3000;    // bytes per request and per response
constexpr int kRounds = 2000;

uint8_t pattern(int round, size_t i, bool response) { return uint8_t(i * 131 + size_t(round) * 7 + (response ? 99 : 0)); }

void send_all(int fd, const std::vector<uint8_t>& b) {
  for (size_t off = 0; off < b.size();) {
    ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) throw bl::SystemError("send", errno);
    off += size_t(n);
  }
}

// Reads exactly b.size() bytes (5 s bound per wait); false on EOF.
bool recv_all(int fd, std::vector<uint8_t>& b) {
  for (size_t off = 0; off < b.size();) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) throw bl::RunError("recv: nothing for 5 s");
    ssize_t n = ::recv(fd, b.data() + off, b.size() - off, MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0 && errno == EAGAIN) continue;
    if (n < 0) throw bl::SystemError("recv", errno);
    off += size_t(n);
  }
  return true;
}

struct Outcome {
  uint64_t errors = 0, client_got = 0, server_got = 0;
};

// Server answers kRounds requests; client sends them and checks each answer. Both call the
// datapath's barrier on their connected socket first. `in_cgroup` false leaves both outside the
// datapath's cgroup (sockops never sees them).
Outcome ping_pong(const benchlab::Topology& topo, const blp::TcpProxy& dp, bool in_cgroup = true,
                  bool dual_stack_server = false) {
  auto deadline = bl::Clock::now() + std::chrono::seconds(30);
  const benchlab::Endpoint& ep = topo.server();
  const std::string cg = in_cgroup ? dp.workload_cgroup() : "";
  bl::ChildProcess server = bl::ChildProcess::spawn({
      .role = "server", .ns = ep.ns, .cgroup = cg, .cpu = -1,
      .body = [&](bl::ChildChannel& ch) -> nlohmann::json {
        socklen_t len;
        auto at = benchlab::to_sockaddr(ep.addr, kPort, &len);
        if (dual_stack_server) {   // "::": IPv4 peers arrive as IPv4-mapped IPv6 (::ffff:a.b.c.d)
          sockaddr_in6 any{};
          any.sin6_family = AF_INET6;
          any.sin6_port = htons(kPort);
          std::memcpy(&at, &any, sizeof any);
          len = sizeof any;
        }
        int l = ::socket(at.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1, zero = 0;
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (dual_stack_server) setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (::bind(l, reinterpret_cast<sockaddr*>(&at), len) != 0 || ::listen(l, 4) != 0)
          throw bl::SystemError("bind/listen", errno);
        ch.ready();
        int s = ::accept(l, nullptr, nullptr);
        if (s < 0) throw bl::SystemError("accept", errno);
        dp.await_socket(s);
        std::vector<uint8_t> req(kMsg), resp(kMsg);
        uint64_t errors = 0, got = 0;
        for (int r = 0; r < kRounds; ++r) {
          if (!recv_all(s, req)) throw bl::RunError("server: early EOF");
          got += kMsg;
          for (size_t i = 0; i < kMsg; ++i) errors += req[i] != pattern(r, i, false);
          for (size_t i = 0; i < kMsg; ++i) resp[i] = pattern(r, i, true);
          send_all(s, resp);
        }
        std::vector<uint8_t> extra(1);
        if (recv_all(s, extra)) ++errors;   // EOF after the last round, nothing more
        ::close(s);
        return {{"errors", errors}, {"got", got}};
      },
  });
  server.await_ready(deadline);
  const bl::ConnectTarget t = dp.client_target(ep, kPort);
  bl::ChildProcess client = bl::ChildProcess::spawn({
      .role = "client", .ns = topo.client().ns, .cgroup = cg, .cpu = -1,
      .body = [&](bl::ChildChannel&) -> nlohmann::json {
        socklen_t len;
        auto to = benchlab::to_sockaddr(t.addr, t.port, &len);
        int s = ::socket(to.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::connect(s, reinterpret_cast<sockaddr*>(&to), len) != 0) throw bl::SystemError("connect", errno);
        dp.await_socket(s);
        std::vector<uint8_t> req(kMsg), resp(kMsg);
        uint64_t errors = 0, got = 0;
        for (int r = 0; r < kRounds; ++r) {
          for (size_t i = 0; i < kMsg; ++i) req[i] = pattern(r, i, false);
          send_all(s, req);
          if (!recv_all(s, resp)) throw bl::RunError("client: early EOF");
          got += kMsg;
          for (size_t i = 0; i < kMsg; ++i) errors += resp[i] != pattern(r, i, true);
        }
        ::close(s);
        return {{"errors", errors}, {"got", got}};
      },
  });
  Outcome o;
  auto cj = client.wait(deadline);
  auto sj = server.wait(deadline);
  o.errors = cj.at("errors").get<uint64_t>() + sj.at("errors").get<uint64_t>();
  o.client_got = cj.at("got");
  o.server_got = sj.at("got");
  return o;
}

bl::WorkloadResult result_of(const Outcome& o) {
  return benchlab::bpf::testing::one_sample(o.client_got + o.server_got);
}

std::string id(const char* tag) { return std::string("rl") + tag + std::to_string(getpid() % 100000); }

blb::SockmapMoverConfig relay_config(const std::string& run_id) {
  blb::SockmapMoverConfig c;
  c.run_id = run_id;
  return c;
}

// sockmap-skb as its registry row builds it: the proxy skeleton around the ingress relay mover.
std::unique_ptr<blp::TcpProxy> relay(const blb::SockmapMoverConfig& cfg) {
  blp::ProxyConfig pc;
  pc.ready_timeout = cfg.ready_timeout;
  return std::make_unique<blp::TcpProxy>(pc, blb::make_ingress_relay_mover("sockmap-skb", cfg));
}

class RelayTest : public ::testing::TestWithParam<benchlab::Family> {};

TEST_P(RelayTest, RedirectsIntoThePeersIngressBothWays) {
  REQUIRE_ROOT();
  auto topo = GetParam() == benchlab::Family::ipv4
                  ? nn::make_loopback({.family = benchlab::Family::ipv4, .mtu = 1500, .run_id = id("a")})
                  : nn::make_veth({.family = benchlab::Family::ipv6, .mtu = 1500, .run_id = id("b")});
  auto owned = relay(relay_config(id("ra")));
  blp::TcpProxy& dp = *owned;
  EXPECT_EQ(dp.name(), "sockmap-skb");
  auto before = dp.read_counters();
  Outcome o = ping_pong(*topo, dp);
  auto d = minus(dp.read_counters(), before);
  auto e = dp.check_engagement({d, {}}, result_of(o));
  std::printf("  %s\n  %s\n", e.message.c_str(), dump(d).c_str());
  EXPECT_EQ(o.errors, 0u);
  EXPECT_EQ(o.client_got, kRounds * kMsg);
  EXPECT_EQ(o.server_got, kRounds * kMsg);
  EXPECT_EQ(d["inserted"], 2u) << dump(d);          // the client's and the server's socket
  EXPECT_GE(d["redirected_bytes"], 2 * kRounds * kMsg) << dump(d);
  EXPECT_EQ(d["misses"], 0u) << dump(d);
  EXPECT_EQ(d["user_copied_bytes"], 0u) << dump(d);
  EXPECT_EQ(d["gate_errors"], 0u);
  EXPECT_TRUE(e.checked);
  EXPECT_TRUE(e.ok) << e.message;
}

INSTANTIATE_TEST_SUITE_P(Families, RelayTest, ::testing::Values(benchlab::Family::ipv4, benchlab::Family::ipv6),
                         [](const auto& i) { return i.param == benchlab::Family::ipv4 ? "loopback_ipv4" : "veth_ipv6"; });

// A server listening on "::" gets the relay's IPv4 connection as an IPv4-mapped IPv6 socket;
// keys are normalised (IPv4 as ::ffff:a.b.c.d), so the relay still finds it.
TEST(Relay, V4MappedServerSocketIsRedirected) {
  REQUIRE_ROOT();
  auto topo = nn::make_loopback({.family = benchlab::Family::ipv4, .mtu = 1500, .run_id = id("m")});
  auto owned = relay(relay_config(id("rm")));
  blp::TcpProxy& dp = *owned;
  Outcome o = ping_pong(*topo, dp, /*in_cgroup=*/true, /*dual_stack_server=*/true);
  auto d = dp.read_counters();
  auto e = dp.check_engagement({d, {}}, result_of(o));
  std::printf("  %s\n", e.message.c_str());
  EXPECT_EQ(o.errors, 0u);
  EXPECT_EQ(d["inserted"], 2u) << dump(d);
  EXPECT_GE(d["redirected_bytes"], 2 * kRounds * kMsg) << dump(d);
  EXPECT_EQ(d["misses"], 0u) << dump(d);
  EXPECT_TRUE(e.ok) << e.message;
}

TEST(Relay, BrokenKeyStillDeliversButFailsEngagement) {
  REQUIRE_ROOT();
  auto topo = nn::make_loopback({.family = benchlab::Family::ipv4, .mtu = 1500, .run_id = id("c")});
  auto cfg = relay_config(id("rc"));
  cfg.test_break_key = true;
  auto owned = relay(cfg);
  blp::TcpProxy& dp = *owned;
  Outcome o = ping_pong(*topo, dp);
  auto d = dp.read_counters();
  auto e = dp.check_engagement({d, {}}, result_of(o));
  std::printf("  %s\n", e.message.c_str());
  EXPECT_EQ(o.errors, 0u);
  EXPECT_EQ(o.server_got, kRounds * kMsg);   // the miss policy: the relay forwards, nothing is dropped
  EXPECT_EQ(d["redirected_bytes"], 0u) << dump(d);
  EXPECT_GE(d["miss_bytes"], 2 * kRounds * kMsg) << dump(d);
  EXPECT_FALSE(e.ok);
}

// The memory guard: with the floor at 100% of MemTotal it trips at its first check; redirects
// stop, TCP carries the rest (nothing lost), and the run fails with the reason.
TEST(Relay, MemoryGuardStopsRedirectsAndFailsTheRun) {
  REQUIRE_ROOT();
  auto topo = nn::make_loopback({.family = benchlab::Family::ipv4, .mtu = 1500, .run_id = id("g")});
  auto cfg = relay_config(id("rg"));
  cfg.memory_floor = 1.0;
  auto owned = relay(cfg);
  blp::TcpProxy& dp = *owned;
  Outcome o = ping_pong(*topo, dp);
  auto d = dp.read_counters();
  auto e = dp.check_engagement({d, {}}, result_of(o));
  std::printf("  %s\n  %s\n", e.message.c_str(), dump(d).c_str());
  EXPECT_EQ(o.errors, 0u);
  EXPECT_EQ(o.server_got, kRounds * kMsg);
  EXPECT_GE(d["memory_guard_trips"], 1u);
  EXPECT_GT(d["miss_bytes"], 0u);
  EXPECT_FALSE(e.ok);
  EXPECT_NE(e.message.find("short of memory"), std::string::npos) << e.message;
}

TEST(Relay, SocketsOutsideTheCgroupFailTheBarrierClearly) {
  REQUIRE_ROOT();
  auto topo = nn::make_loopback({.family = benchlab::Family::ipv4, .mtu = 1500, .run_id = id("d")});
  auto cfg = relay_config(id("rd"));
  cfg.ready_timeout = std::chrono::milliseconds(300);
  auto owned = relay(cfg);
  blp::TcpProxy& dp = *owned;
  try {
    ping_pong(*topo, dp, /*in_cgroup=*/false);
    ADD_FAILURE() << "the barrier let sockets outside the cgroup through";
  } catch (const bl::RunError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("sockmap-skb: socket"), std::string::npos) << m;
    EXPECT_NE(m.find("not in the sockhash after 300 ms"), std::string::npos) << m;
  }
}

TEST(Relay, TeardownLeavesNoCgroupAttachmentOrProgram) {
  REQUIRE_ROOT();
  auto topo = nn::make_loopback({.family = benchlab::Family::ipv4, .mtu = 1500, .run_id = id("e")});
  std::string cg;
  {
    auto owned = relay(relay_config(id("re")));
    blp::TcpProxy& dp = *owned;
    cg = dp.workload_cgroup();
    ASSERT_FALSE(cg.empty());
    EXPECT_TRUE(std::filesystem::exists(cg));
    EXPECT_NE(output_of("bpftool cgroup show " + cg).find("relay_sockops"), std::string::npos);
    ping_pong(*topo, dp);
  }
  EXPECT_FALSE(std::filesystem::exists(cg)) << cg;
  bool gone = false;   // psocks drop their program references from an RCU work item
  for (int i = 0; i < 100 && !gone; ++i) {
    std::string progs = output_of("bpftool prog show");
    gone = progs.find("relay_ingress_v") == std::string::npos && progs.find("relay_sockops") == std::string::npos;
    if (!gone) usleep(20000);
  }
  EXPECT_TRUE(gone) << "relay programs still loaded 2 s after teardown";
}

}  // namespace
