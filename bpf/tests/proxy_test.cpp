// proxy-copy, proxy-splice and proxy-sockmap on a real kernel, over the netns module's loopback
// and veth topologies: the proxy skeleton (harness/proxy) with each mover. A greeting echo server (it speaks first, like tcp_rr's hello) and a client
// that opens several connections to client_target() and streams a position-dependent pattern
// through the proxy; both ends check every byte.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
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

#include "benchlab/bpf/register.hpp"
#include "benchlab/bpf/sockmap_movers.hpp"
#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/netns/topology.hpp"
#include "benchlab/proxy/register.hpp"
#include "benchlab/proxy/tcp_proxy.hpp"
#include "benchlab/proxy/user_space_movers.hpp"
#include "test_util.hpp"

namespace bl = benchlab;
namespace blb = benchlab::bpf;
namespace blp = benchlab::proxy;
namespace nn = benchlab::netns;

namespace {

using benchlab::bpf::testing::dump;
using benchlab::bpf::testing::minus;
using benchlab::bpf::testing::output_of;

constexpr size_t kBytes = 4u << 20;   // per connection, client → server (and echoed back)
constexpr int kConns = 3;
constexpr uint16_t kPort = 5400;
constexpr uint8_t kGreeting = 0x5a;

uint8_t pattern(int conn, size_t i) { return uint8_t(i * 131 + size_t(conn) * 7 + (i >> 12)); }


// Echo server: greets each connection with one byte, echoes everything, and closes after the
// client's FIN once all is echoed. Returns the bytes it received.
nlohmann::json echo_server(const benchlab::Endpoint& ep, bl::ChildChannel& ch) {
  socklen_t len;
  auto addr = benchlab::to_sockaddr(ep.addr, kPort, &len);
  int l = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(l, reinterpret_cast<sockaddr*>(&addr), len) != 0) throw bl::SystemError("bind", errno);
  if (::listen(l, 16) != 0) throw bl::SystemError("listen", errno);
  ch.ready();
  struct C {
    int fd;
    std::string pending;
    bool eof = false;
  };
  std::vector<C> cs;
  uint64_t got = 0;
  int done = 0;
  auto end = bl::Clock::now() + std::chrono::seconds(20);
  std::vector<char> buf(1 << 16);
  while (done < kConns) {
    if (bl::Clock::now() > end) throw bl::RunError("server: timed out");
    std::vector<pollfd> p{{l, POLLIN, 0}};
    for (auto& c : cs)
      p.push_back({c.fd, short((c.eof ? 0 : POLLIN) | (c.pending.empty() ? 0 : POLLOUT)), 0});
    if (::poll(p.data(), p.size(), 1000) < 0) throw bl::SystemError("poll", errno);
    if (p[0].revents & POLLIN) {
      int fd = ::accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        cs.push_back({fd, std::string(1, char(kGreeting))});
        continue;
      }
    }
    for (size_t i = 0; i < cs.size(); ++i) {
      C& c = cs[i];
      if (c.fd < 0) continue;
      if (!c.eof) {
        ssize_t n = ::recv(c.fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n > 0) {
          c.pending.append(buf.data(), size_t(n));
          got += uint64_t(n);
        } else if (n == 0) {
          c.eof = true;
        } else if (errno != EAGAIN) {
          throw bl::SystemError("server recv", errno);
        }
      }
      if (!c.pending.empty()) {
        ssize_t n = ::send(c.fd, c.pending.data(), c.pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) c.pending.erase(0, size_t(n));
        else if (errno != EAGAIN) throw bl::SystemError("server send", errno);
      }
      if (c.eof && c.pending.empty()) {
        ::close(c.fd);
        c.fd = -1;
        ++done;
      }
    }
  }
  ::close(l);
  return {{"got", got}};
}

// Client: kConns connections at once, each streams kBytes of its pattern, half-closes, and
// expects the greeting then its own bytes back, then EOF.
// With await_greeting, a connection sends nothing before the server's greeting arrived (as
// tcp_rr waits for its hello), so nothing but the proxy can move that first byte along.
nlohmann::json pattern_client(const bl::ConnectTarget& t, bool await_greeting) {
  socklen_t len;
  auto addr = benchlab::to_sockaddr(t.addr, t.port, &len);
  struct C {
    int fd;
    size_t sent = 0, got = 0;
    bool greeted = false, eof = false, shut = false;
  };
  std::vector<C> cs;
  for (int i = 0; i < kConns; ++i) {
    int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) throw bl::SystemError("connect", errno);
    cs.push_back({fd});
  }
  uint64_t got = 0, errors = 0;
  for (auto& c : cs) {
    if (!await_greeting) break;
    pollfd p{c.fd, POLLIN, 0};
    uint8_t b = 0;
    if (::poll(&p, 1, 3000) != 1 || ::recv(c.fd, &b, 1, 0) != 1 || b != kGreeting)
      throw bl::RunError("client: no greeting within 3 s");
    c.greeted = true;
    ++got;
  }
  std::vector<uint8_t> out(1 << 16), in(1 << 16);
  auto end = bl::Clock::now() + std::chrono::seconds(20);
  for (int live = kConns; live > 0;) {
    if (bl::Clock::now() > end) throw bl::RunError("client: timed out");
    std::vector<pollfd> p;
    for (auto& c : cs) p.push_back({c.fd, short((c.eof ? 0 : POLLIN) | (c.shut ? 0 : POLLOUT)), 0});
    if (::poll(p.data(), p.size(), 1000) < 0) throw bl::SystemError("poll", errno);
    for (int i = 0; i < kConns; ++i) {
      C& c = cs[size_t(i)];
      if (!c.shut && c.sent < kBytes) {
        size_t n = std::min(out.size(), kBytes - c.sent);
        for (size_t k = 0; k < n; ++k) out[k] = pattern(i, c.sent + k);
        ssize_t w = ::send(c.fd, out.data(), n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) c.sent += size_t(w);
        else if (errno != EAGAIN) throw bl::SystemError("client send", errno);
      }
      if (!c.shut && c.sent == kBytes) {
        ::shutdown(c.fd, SHUT_WR);
        c.shut = true;
      }
      if (c.eof) continue;
      ssize_t r = ::recv(c.fd, in.data(), in.size(), MSG_DONTWAIT);
      if (r == 0) {
        c.eof = true;
        --live;
        continue;
      }
      if (r < 0) {
        if (errno != EAGAIN) throw bl::SystemError("client recv", errno);
        continue;
      }
      size_t k = 0;
      if (!c.greeted) {
        if (in[0] != kGreeting) ++errors;
        c.greeted = true;
        k = 1;
      }
      for (; k < size_t(r); ++k, ++c.got)
        if (in[k] != pattern(i, c.got)) ++errors;
      got += uint64_t(r);
    }
  }
  size_t echoed = 0;
  for (auto& c : cs) {
    echoed += c.got;
    ::close(c.fd);
  }
  return {{"got", got}, {"echoed", echoed}, {"errors", errors}};
}

struct Transfer {
  uint64_t server_got = 0, client_got = 0, echoed = 0, errors = 0;
};

Transfer transfer(const benchlab::Topology& topo, const blp::TcpProxy& dp, bool await_greeting = false) {
  auto deadline = bl::Clock::now() + std::chrono::seconds(30);
  const benchlab::Endpoint& server_ep = topo.server();
  bl::ChildProcess server = bl::ChildProcess::spawn({
      .role = "server", .ns = server_ep.ns, .cgroup = "", .cpu = -1,
      .body = [&](bl::ChildChannel& ch) { return echo_server(server_ep, ch); },
  });
  server.await_ready(deadline);
  bl::ConnectTarget target = dp.client_target(server_ep, kPort);   // in the parent, as workloads do
  bl::ChildProcess client = bl::ChildProcess::spawn({
      .role = "client", .ns = topo.client().ns, .cgroup = "", .cpu = -1,
      .body = [&](bl::ChildChannel&) { return pattern_client(target, await_greeting); },
  });
  Transfer t;
  auto cj = client.wait(deadline);
  auto sj = server.wait(deadline);
  t.client_got = cj.at("got");
  t.echoed = cj.at("echoed");
  t.errors = cj.at("errors");
  t.server_got = sj.at("got");
  return t;
}

bl::WorkloadResult result_of(const Transfer& t) {
  return benchlab::bpf::testing::one_sample(t.server_got + t.client_got);
}

enum class Topo { loopback, veth };
// The movers under test: user-space copy, splice through a pipe, sockmap egress redirect.
enum class Mover { copy, splice, sockmap };

struct Param {
  Mover mover;
  Topo topo;
};

std::string param_name(const ::testing::TestParamInfo<Param>& i) {
  const char* m = i.param.mover == Mover::copy ? "copy" : i.param.mover == Mover::splice ? "splice" : "sockmap";
  return std::string(m) + (i.param.topo == Topo::loopback ? "_loopback" : "_veth");
}

// What a test turns on besides the defaults.
struct Knobs {
  bool test_bypass = false;
  bool test_break_key = false;
  int test_gate_delay_ms = 0;
};

std::unique_ptr<blp::TcpProxy> make_proxy(Mover m, const Knobs& k) {
  blp::ProxyConfig cfg;
  cfg.test_bypass = k.test_bypass;
  std::unique_ptr<blp::Mover> mover;
  if (m == Mover::copy) mover = blp::make_copy_mover("proxy-copy", 65536);
  if (m == Mover::splice) mover = blp::make_splice_mover("proxy-splice", 65536);
  if (m == Mover::sockmap) {
    blb::SockmapMoverConfig s;
    s.test_break_key = k.test_break_key;
    s.test_gate_delay_ms = k.test_gate_delay_ms;
    mover = blb::make_egress_redirect_mover("proxy-sockmap", s);
  }
  return std::make_unique<blp::TcpProxy>(cfg, std::move(mover));
}

class ProxyTest : public ::testing::TestWithParam<Param> {
 protected:
  std::unique_ptr<benchlab::Topology> make_topo(const char* tag) {
    benchlab::TopologyOptions o;
    o.run_id = std::string("px") + tag + std::to_string(getpid() % 100000);
    return GetParam().topo == Topo::loopback ? nn::make_loopback(o) : nn::make_veth(o);
  }
  bool sockmap() const { return GetParam().mover == Mover::sockmap; }
  struct Outcome {
    Transfer t;
    bl::Counters delta;
    bl::Engagement e;
  };
  Outcome run_once(const benchlab::Topology& topo, const Knobs& knobs = {}, bool await_greeting = false) {
    auto dp = make_proxy(GetParam().mover, knobs);
    auto before = dp->read_counters();
    Outcome o;
    o.t = transfer(topo, *dp, await_greeting);
    o.delta = minus(dp->read_counters(), before);
    o.e = dp->check_engagement({o.delta, {}}, result_of(o.t));
    return o;
  }
};

TEST_P(ProxyTest, CarriesBothDirectionsIntactAndPassesEngagement) {
  REQUIRE_ROOT();
  auto topo = make_topo("a");
  auto o = run_once(*topo);
  std::printf("  %s\n  %s\n", o.e.message.c_str(), dump(o.delta).c_str());
  EXPECT_EQ(o.t.server_got, kConns * kBytes);
  EXPECT_EQ(o.t.echoed, kConns * kBytes);
  EXPECT_EQ(o.t.client_got, kConns * (kBytes + 1));
  EXPECT_EQ(o.t.errors, 0u);
  EXPECT_EQ(o.delta["connections"], uint64_t(kConns)) << dump(o.delta);
  EXPECT_EQ(o.delta["connect_errors"], 0u);
  if (sockmap()) {
    EXPECT_GE(o.delta["redirected_bytes"], 2 * kConns * kBytes) << dump(o.delta);
    EXPECT_GT(o.delta["redirected_skbs"], 0u);
    EXPECT_EQ(o.delta["misses"], 0u) << dump(o.delta);
    EXPECT_EQ(o.delta["user_copied_bytes"], 0u) << dump(o.delta);
    EXPECT_EQ(o.delta["drain_timeouts"], 0u) << dump(o.delta);
    EXPECT_EQ(o.delta["gate_errors"], 0u);
  } else {
    EXPECT_EQ(o.delta["c2s_bytes"], kConns * kBytes) << dump(o.delta);
    EXPECT_EQ(o.delta["s2c_bytes"], kConns * (kBytes + 1)) << dump(o.delta);
    EXPECT_EQ(o.delta["user_copied_bytes"],
              GetParam().mover == Mover::copy ? o.delta["forwarded_bytes"] : 0u);
  }
  EXPECT_TRUE(o.e.checked);
  EXPECT_TRUE(o.e.ok) << o.e.message;
}

TEST_P(ProxyTest, BrokenKnobStillDeliversButFailsEngagement) {
  REQUIRE_ROOT();
  auto topo = make_topo("b");
  Knobs knobs;
  // sockmap: every verdict misses, the user-space fallback carries the bytes (miss policy:
  // never a drop). copy/splice: the client goes straight to the server.
  if (sockmap()) knobs.test_break_key = true;
  else knobs.test_bypass = true;
  auto o = run_once(*topo, knobs);
  std::printf("  %s\n", o.e.message.c_str());
  EXPECT_EQ(o.t.server_got, kConns * kBytes);
  EXPECT_EQ(o.t.client_got, kConns * (kBytes + 1));
  EXPECT_EQ(o.t.errors, 0u);
  if (sockmap()) {
    EXPECT_EQ(o.delta["redirected_bytes"], 0u) << dump(o.delta);
    EXPECT_GE(o.delta["miss_bytes"], 2 * kConns * kBytes) << dump(o.delta);
    EXPECT_EQ(o.delta["user_copied_bytes"], kConns * (2 * kBytes + 1)) << dump(o.delta);
  } else {
    EXPECT_EQ(o.delta["forwarded_bytes"], 0u) << dump(o.delta);
  }
  EXPECT_TRUE(o.e.checked);
  EXPECT_FALSE(o.e.ok);
}

// The readiness barrier's hard case: the server's greeting and the client's first bytes are
// queued on the proxy's sockets before they are gated. The greeting alone would stall a
// request/response exchange if nothing woke the verdict; BPF must carry them, in order.
TEST_P(ProxyTest, BytesQueuedBeforeGatingAreCarriedByBpf) {
  REQUIRE_ROOT();
  if (!sockmap()) GTEST_SKIP() << "sockmap only";
  auto topo = make_topo("d");
  Knobs knobs;
  knobs.test_gate_delay_ms = 100;
  auto o = run_once(*topo, knobs, /*await_greeting=*/true);
  std::printf("  %s\n", o.e.message.c_str());
  EXPECT_EQ(o.t.server_got, kConns * kBytes);
  EXPECT_EQ(o.t.client_got, kConns * (kBytes + 1));
  EXPECT_EQ(o.t.errors, 0u);
  EXPECT_GE(o.delta["pre_gate_bytes"], uint64_t(kConns)) << dump(o.delta);   // greetings at least
  EXPECT_EQ(o.delta["user_copied_bytes"], 0u) << dump(o.delta);
  EXPECT_EQ(o.delta["misses"], 0u) << dump(o.delta);
  EXPECT_TRUE(o.e.ok) << o.e.message;
}

TEST_P(ProxyTest, TeardownLeavesNothingBehind) {
  REQUIRE_ROOT();
  auto topo = make_topo("c");
  std::vector<int> pids;
  {
    auto dp = make_proxy(GetParam().mover, {});
    transfer(*topo, *dp);
    pids = dp->proxy_pids();
    ASSERT_EQ(pids.size(), 1u);
    EXPECT_EQ(::kill(pids[0], 0), 0);
    if (sockmap()) {
      EXPECT_NE(output_of("bpftool prog show").find("egress_redirect"), std::string::npos);
    }
  }
  for (int pid : pids) {
    errno = 0;
    EXPECT_EQ(::kill(pid, 0), -1) << "proxy " << pid << " still exists";
    EXPECT_EQ(errno, ESRCH);
  }
  for (const auto& e : std::filesystem::directory_iterator("/sys/fs/bpf"))
    EXPECT_NE(e.path().filename().string().rfind("bl-", 0), 0u) << e.path();
  // Psocks drop their program references from an RCU work item after the sockets close.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = output_of("bpftool prog show").find("egress_redirect") == std::string::npos;
    if (!gone) usleep(20000);
  }
  EXPECT_TRUE(gone) << "verdict program still loaded 2 s after teardown";
}

INSTANTIATE_TEST_SUITE_P(
    Proxies, ProxyTest,
    ::testing::Values(Param{Mover::copy, Topo::loopback}, Param{Mover::copy, Topo::veth},
                      Param{Mover::splice, Topo::loopback}, Param{Mover::splice, Topo::veth},
                      Param{Mover::sockmap, Topo::loopback}, Param{Mover::sockmap, Topo::veth}),
    param_name);

TEST(ProxyRegistry, EntriesDeclareOptionsAndProbe) {
  bl::DatapathRegistry reg;
  blp::register_proxy_datapaths(reg);
  blb::register_bpf_datapaths(reg);
  for (const char* name : {"proxy-copy", "proxy-splice", "proxy-sockmap", "sockmap-skb"}) {
    const auto* e = reg.find(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->traffic, std::vector<std::string>{"stream"});
    bool has_bypass = false;
    for (const auto& o : e->options)
      if (o.name == "test_bypass") has_bypass = std::get<bool>(o.default_value) == false;
    EXPECT_TRUE(has_bypass) << name;
    if (geteuid() == 0) {
      auto s = e->probe();
      EXPECT_TRUE(s.ok) << s.reason;
    }
  }
}

}  // namespace
