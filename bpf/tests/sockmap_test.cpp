// sockmap-msg and sockmap-skb-pass on a real kernel: a scratch namespace (bl-scratch-bpf,
// addresses 198.18.0.1 and 2001:2::1 on its lo), a server and a client process that join the
// datapath's cgroup like workload children do, and bounded transfers in both directions.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "benchlab/bpf/register.hpp"
#include "benchlab/bpf/libbpf_log.hpp"
#include "benchlab/bpf/probes.hpp"
#include "benchlab/core/system_paths.hpp"
#include "benchlab/bpf/sockhash_redirect.hpp"
#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/netns/topology.hpp"
#include "test_util.hpp"

namespace bl = benchlab;
namespace blb = benchlab::bpf;

namespace {

using benchlab::bpf::testing::dump;
using benchlab::bpf::testing::minus;
using benchlab::bpf::testing::output_of;

constexpr const char* kNs = "bl-scratch-bpf";
constexpr size_t kBytes = 8u << 20;   // per direction; bounded, and far more than 64 KiB segments

void sh(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  if (rc != 0) throw std::runtime_error("command failed: " + cmd);
}

// The test's own namespace, made with ip(8) because netns::Netns is being written concurrently.
class ScratchNs {
 public:
  ScratchNs() {
    std::system((std::string("ip netns del ") + kNs + " 2>/dev/null").c_str());
    sh(std::string("ip netns add ") + kNs);
    sh(std::string("ip -n ") + kNs + " link set lo up");
    sh(std::string("ip -n ") + kNs + " addr add 198.18.0.1/32 dev lo");
    sh(std::string("ip -n ") + kNs + " addr add 2001:2::1/128 dev lo nodad");
    fd_ = ::open((std::string("/run/netns/") + kNs).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("open netns");
  }
  ~ScratchNs() {
    ::close(fd_);
    std::system((std::string("ip netns del ") + kNs).c_str());
  }
  int fd() const { return fd_; }

  uint64_t lo_rx_packets() const {
    auto j = nlohmann::json::parse(output_of(std::string("ip -n ") + kNs + " -j -s link show lo"));
    return j.at(0).at("stats64").at("rx").at("packets").get<uint64_t>();
  }

 private:
  int fd_ = -1;
};

struct Conn {
  int listen_family;            // AF_INET or AF_INET6
  std::string listen_addr;      // "198.18.0.1", "::", ...
  int client_family;
  std::string connect_addr;
};

sockaddr_storage make_addr(int family, const std::string& a, uint16_t port, socklen_t* len) {
  sockaddr_storage ss{};
  if (family == AF_INET) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    if (inet_pton(AF_INET, a.c_str(), &s->sin_addr) != 1) throw std::runtime_error("bad addr " + a);
    *len = sizeof *s;
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    if (inet_pton(AF_INET6, a.c_str(), &s->sin6_addr) != 1) throw std::runtime_error("bad addr " + a);
    *len = sizeof *s;
  }
  return ss;
}

void set_timeouts(int fd) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void send_all(int fd, size_t n) {
  std::string chunk(64 * 1024, 'x');
  while (n) {
    ssize_t w = ::send(fd, chunk.data(), std::min(n, chunk.size()), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw bl::SystemError("send", errno);
    n -= size_t(w);
  }
}

size_t recv_n(int fd, size_t n) {
  std::string buf(64 * 1024, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd, buf.data(), std::min(buf.size(), n - got), 0);
    if (r < 0 && errno == EINTR) continue;
    // A blocking recv on a socket with an sk_skb verdict can return EAGAIN while a redirected
    // skb is still in the psock backlog (tcp_bpf wakes on sk_receive_queue, then finds the
    // ingress queue empty). Wait for readability, bounded, and retry.
    if (r < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) == 1) continue;
      throw bl::RunError("recv: no data for 5 s");
    }
    if (r < 0) throw bl::SystemError("recv", errno);
    if (r == 0) break;
    for (ssize_t i = 0; i < r; ++i)
      if (buf[size_t(i)] != 'x') throw bl::RunError("payload corrupted");
    got += size_t(r);
  }
  return got;
}

struct Transfer {
  size_t server_got = 0, client_got = 0;
};

// Server and client are forked like workload children: join the cgroup (or not), enter the
// namespace, await the readiness barrier, then move kBytes each way.
Transfer transfer(int server_nsfd, int client_nsfd, const blb::SockhashRedirect* dp, bool join_cgroup,
                  const Conn& c, uint16_t port) {
  auto deadline = bl::Clock::now() + std::chrono::seconds(30);
  std::string cg = dp && join_cgroup ? dp->workload_cgroup() : "";

  bl::ChildSpec server;
  server.role = "server";
  server.cgroup = cg;
  server.body = [&](bl::ChildChannel& ch) -> nlohmann::json {
    if (setns(server_nsfd, CLONE_NEWNET) != 0) throw bl::SystemError("setns", errno);
    int l = ::socket(c.listen_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len;
    auto addr = make_addr(c.listen_family, c.listen_addr, port, &len);
    if (::bind(l, reinterpret_cast<sockaddr*>(&addr), len) != 0) throw bl::SystemError("bind", errno);
    if (::listen(l, 8) != 0) throw bl::SystemError("listen", errno);
    ch.ready();
    pollfd p{l, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) throw bl::RunError("no connection");
    int s = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) throw bl::SystemError("accept", errno);
    set_timeouts(s);
    if (dp) dp->await_socket(s);
    size_t got = recv_n(s, kBytes);
    send_all(s, kBytes);
    char b;
    (void)::recv(s, &b, 1, 0);   // wait for the client's close
    ::close(s);
    return {{"got", got}};
  };
  bl::ChildProcess srv = bl::ChildProcess::spawn(server);
  srv.await_ready(deadline);

  bl::ChildSpec client;
  client.role = "client";
  client.cgroup = cg;
  client.body = [&](bl::ChildChannel&) -> nlohmann::json {
    if (setns(client_nsfd, CLONE_NEWNET) != 0) throw bl::SystemError("setns", errno);
    int s = ::socket(c.client_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    set_timeouts(s);
    socklen_t len;
    auto addr = make_addr(c.client_family, c.connect_addr, port, &len);
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), len) != 0) throw bl::SystemError("connect", errno);
    if (dp) dp->await_socket(s);
    send_all(s, kBytes);
    size_t got = recv_n(s, kBytes);
    ::close(s);
    return {{"got", got}};
  };
  bl::ChildProcess cli = bl::ChildProcess::spawn(client);
  // Collect both ends before failing, so the message names the side that broke first.
  Transfer t;
  std::string errors;
  try {
    t.client_got = cli.wait(deadline).at("got").get<size_t>();
  } catch (const std::exception& e) {
    errors += std::string(e.what()) + "; ";
  }
  try {
    t.server_got = srv.wait(deadline).at("got").get<size_t>();
  } catch (const std::exception& e) {
    errors += e.what();
  }
  if (!errors.empty()) throw bl::RunError(errors);
  return t;
}

Transfer transfer(const ScratchNs& ns, const blb::SockhashRedirect* dp, bool join_cgroup, const Conn& c,
                  uint16_t port) {
  return transfer(ns.fd(), ns.fd(), dp, join_cgroup, c, port);
}

bl::WorkloadResult result_of(const Transfer& t) {
  return benchlab::bpf::testing::one_sample(t.server_got + t.client_got);
}

std::unique_ptr<blb::SockhashRedirect> make(blb::SockmapMode mode, const std::string& id, bool broken = false) {
  blb::SockhashRedirectConfig cfg;
  cfg.mode = mode;
  cfg.run_id = "test-" + id + "-" + std::to_string(getpid());
  cfg.test_break_key = broken;
  return std::make_unique<blb::SockhashRedirect>(cfg);
}

const Conn kV4{AF_INET, "198.18.0.1", AF_INET, "198.18.0.1"};

class SockmapTest : public ::testing::TestWithParam<blb::SockmapMode> {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() == 0) ns_ = new ScratchNs();
  }
  static void TearDownTestSuite() {
    delete ns_;
    ns_ = nullptr;
  }
  static ScratchNs* ns_;

  // One run: attach, move data, and return what the runner would hand check_engagement.
  struct Outcome {
    Transfer t;
    bl::Counters delta;                    // the datapath's own counters
    std::vector<bl::LinkCounters> links;   // lo, as the runner's collector records it
    bl::Engagement e;
  };
  Outcome run_once(const Conn& c, uint16_t port, bool broken = false) {
    auto dp = make(GetParam(), std::to_string(port), broken);
    auto before = dp->read_counters();
    uint64_t rx0 = ns_->lo_rx_packets();
    Outcome o;
    o.t = transfer(*ns_, dp.get(), true, c, port);
    o.delta = minus(dp->read_counters(), before);
    bl::LinkCounters lo{.role = "client", .ifname = "lo"};
    lo.rx_packets = ns_->lo_rx_packets() - rx0;
    o.links = {lo};
    o.e = dp->check_engagement({o.delta, o.links}, result_of(o.t));
    return o;
  }
  std::string redirected_key() const {
    return GetParam() == blb::SockmapMode::msg ? "redirected_msgs" : "delivered_skbs";
  }
};
ScratchNs* SockmapTest::ns_ = nullptr;

TEST_P(SockmapTest, RedirectsIPv4AndPassesEngagement) {
  REQUIRE_ROOT();
  auto o = run_once(kV4, 5301);
  EXPECT_EQ(o.t.server_got, kBytes);
  EXPECT_EQ(o.t.client_got, kBytes);
  EXPECT_EQ(o.delta["inserted"], 2u) << dump(o.delta);
  EXPECT_EQ(o.delta["insert_errors"], 0u);
  EXPECT_GE(o.delta[blb::carried_bytes_key(GetParam())], 2 * kBytes) << dump(o.delta);
  EXPECT_GT(o.delta[redirected_key()], 0u);
  EXPECT_EQ(o.delta["misses"], 0u) << dump(o.delta);
  EXPECT_TRUE(o.e.checked);
  EXPECT_TRUE(o.e.ok) << o.e.message;
  EXPECT_GE(o.e.carried_share, 0.99);
  if (GetParam() == blb::SockmapMode::msg) {
    // The payload never became packets: only handshake and teardown crossed lo.
    EXPECT_LT(o.links.at(0).rx_packets, 20u) << dump(o.delta);
  }
}

struct FamilyCase {
  const char* name;
  Conn conn;
};
const FamilyCase kFamilies[] = {
    {"ipv6", {AF_INET6, "::", AF_INET6, "2001:2::1"}},
    {"v4mapped", {AF_INET6, "::", AF_INET6, "::ffff:198.18.0.1"}},
    {"v4_client_dualstack_server", {AF_INET6, "::", AF_INET, "198.18.0.1"}},
};

TEST_P(SockmapTest, RedirectsIPv6AndV4Mapped) {
  REQUIRE_ROOT();
  uint16_t port = 5310;
  for (const auto& f : kFamilies) {
    SCOPED_TRACE(f.name);
    auto o = run_once(f.conn, port++);
    EXPECT_EQ(o.t.server_got, kBytes);
    EXPECT_EQ(o.t.client_got, kBytes);
    EXPECT_EQ(o.delta["inserted"], 2u) << dump(o.delta);
    EXPECT_GE(o.delta[blb::carried_bytes_key(GetParam())], 2 * kBytes) << dump(o.delta);
    EXPECT_EQ(o.delta["misses"], 0u) << dump(o.delta);
    EXPECT_TRUE(o.e.ok) << o.e.message;
  }
}

TEST_P(SockmapTest, BrokenKeyMissesButDeliversAndFailsEngagement) {
  REQUIRE_ROOT();
  auto o = run_once(kV4, 5320, /*broken=*/true);
  // Miss policy: the stack carries the data, the application sees no error.
  EXPECT_EQ(o.t.server_got, kBytes);
  EXPECT_EQ(o.t.client_got, kBytes);
  EXPECT_EQ(o.delta["inserted"], 2u);
  EXPECT_EQ(o.delta[blb::carried_bytes_key(GetParam())], 0u) << dump(o.delta);
  EXPECT_GT(o.delta["misses"], 0u);
  EXPECT_GE(o.delta["miss_bytes"], 2 * kBytes);
  EXPECT_TRUE(o.e.checked);
  EXPECT_FALSE(o.e.ok);
  EXPECT_NE(o.e.message.find("0.00%"), std::string::npos) << o.e.message;
}

TEST_P(SockmapTest, CountersStayZeroOutsideTheCgroup) {
  REQUIRE_ROOT();
  auto dp = make(GetParam(), "outside");
  // The kernel baseline: the workload does not join the cgroup, so nothing is attached to it.
  Transfer t = transfer(*ns_, nullptr, false, kV4, 5330);
  EXPECT_EQ(t.server_got, kBytes);
  for (const auto& [k, v] : dp->read_counters()) EXPECT_EQ(v, 0u) << k;
  auto e = dp->check_engagement({dp->read_counters(), {}}, result_of(t));
  EXPECT_FALSE(e.ok);
}

TEST_P(SockmapTest, AwaitSocketTimesOutWithAClearMessage) {
  REQUIRE_ROOT();
  blb::SockhashRedirectConfig cfg;
  cfg.mode = GetParam();
  cfg.run_id = "test-await-" + std::to_string(getpid());
  cfg.await_timeout = std::chrono::milliseconds(200);
  blb::SockhashRedirect dp(cfg);
  // A socket made outside the cgroup never enters the sockhash.
  bl::ChildSpec spec;
  spec.role = "probe";
  int nsfd = ns_->fd();
  spec.body = [&](bl::ChildChannel&) -> nlohmann::json {
    if (setns(nsfd, CLONE_NEWNET) != 0) throw bl::SystemError("setns", errno);
    int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t len;
    auto a = make_addr(AF_INET, "198.18.0.1", 5340, &len);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(l, reinterpret_cast<sockaddr*>(&a), len) || ::listen(l, 1)) throw bl::SystemError("listen", errno);
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), len)) throw bl::SystemError("connect", errno);
    try {
      dp.await_socket(s);
    } catch (const bl::RunError& e) {
      return {{"error", e.what()}};
    }
    return {{"error", ""}};
  };
  auto child = bl::ChildProcess::spawn(spec);
  std::string msg = child.wait(bl::Clock::now() + std::chrono::seconds(10)).at("error");
  EXPECT_NE(msg.find("socket 198.18.0.1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("<-198.18.0.1:5340: not in sockhash after 0.2 s"), std::string::npos) << msg;
}

TEST_P(SockmapTest, TeardownLeavesNothingBehind) {
  REQUIRE_ROOT();
  std::string cg;
  {
    auto dp = make(GetParam(), "teardown");
    cg = dp->workload_cgroup();
    EXPECT_TRUE(std::filesystem::is_directory(cg));
    EXPECT_NE(output_of("bpftool cgroup tree " + std::string(benchlab::kCgroupRoot)).find("sockmap_sockops"),
              std::string::npos);
    transfer(*ns_, dp.get(), true, kV4, 5350);
  }
  EXPECT_FALSE(std::filesystem::exists(cg));
  EXPECT_EQ(output_of("bpftool cgroup tree " + std::string(benchlab::kCgroupRoot)).find("sockmap_sockops"),
            std::string::npos);
  for (const auto& e : std::filesystem::directory_iterator(benchlab::kCgroupRoot))
    EXPECT_NE(e.path().filename().string().rfind("bl-", 0), 0u) << e.path();
  for (const auto& e : std::filesystem::directory_iterator("/sys/fs/bpf"))
    EXPECT_NE(e.path().filename().string().rfind("bl-", 0), 0u) << e.path();
  // Sockets release their psock (and its program references) from an RCU work item after
  // close, so the programs disappear shortly after the last close, not at once.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = output_of("bpftool prog show").find("sockmap_") == std::string::npos;
    if (!gone) usleep(20000);
  }
  EXPECT_TRUE(gone) << "programs still loaded 2 s after teardown";
}

// Over the netns module's veth topology, with link counters read through netlink and keyed as
// the runner keys them: the engagement check's outside view on a real link.
TEST_P(SockmapTest, VethTopologyEngagesAndLinkStaysQuiet) {
  REQUIRE_ROOT();
  namespace nn = benchlab::netns;
  for (auto fam : {benchlab::Family::ipv4, benchlab::Family::ipv6}) {
    SCOPED_TRACE(benchlab::to_string(fam));
    benchlab::TopologyOptions topts;
    topts.family = fam;
    topts.run_id = "bpft" + std::to_string(getpid() % 100000) + (fam == benchlab::Family::ipv4 ? "a" : "b");
    auto topo = nn::make_veth(topts);
    auto dp = make(GetParam(), topts.run_id);
    auto link_counters = [&] {
      std::vector<bl::LinkCounters> c;
      for (const auto* ep : topo->interfaces()) c.push_back(nn::read_link_counters(*ep));
      return c;
    };
    auto before = dp->read_counters();
    auto lbefore = link_counters();
    int af = fam == benchlab::Family::ipv4 ? AF_INET : AF_INET6;
    Conn c{af, topo->server().addr.str(), af, topo->server().addr.str()};
    Transfer t = transfer(topo->server().ns->fd(), topo->client().ns->fd(), dp.get(), true, c, 5360);
    auto delta = minus(dp->read_counters(), before);
    auto links = bl::link_delta(lbefore, link_counters());
    EXPECT_EQ(t.server_got, kBytes);
    EXPECT_EQ(t.client_got, kBytes);
    auto e = dp->check_engagement({delta, links}, result_of(t));
    std::printf("  %s\n", e.message.c_str());
    EXPECT_TRUE(e.ok) << e.message << " | " << dump(delta);
    EXPECT_EQ(delta["inserted"], 2u) << dump(delta);
    uint64_t link_rx = 0;
    for (const auto& l : links) link_rx += l.rx_packets;
    if (GetParam() == blb::SockmapMode::msg)
      EXPECT_LT(link_rx, 30u) << dump(delta);    // handshake + teardown only
    else
      EXPECT_GT(link_rx, kBytes / 65536) << dump(delta);   // the payload did cross the veth
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, SockmapTest,
                         ::testing::Values(blb::SockmapMode::msg, blb::SockmapMode::skb_pass),
                         [](const auto& i) { return i.param == blb::SockmapMode::msg ? "msg" : "skb_pass"; });

TEST(SockmapRegistry, EntriesDeclareOptionsAndProbe) {
  bl::DatapathRegistry reg;
  blb::register_bpf_datapaths(reg);
  for (const char* name : {"sockmap-msg", "sockmap-skb-pass"}) {
    const auto* e = reg.find(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->traffic, std::vector<std::string>{"stream"});
    EXPECT_NE(e->description.find("miss"), std::string::npos);
    bool has_break = false;
    for (const auto& o : e->options)
      if (o.name == "test_break_key") has_break = std::get<bool>(o.default_value) == false;
    EXPECT_TRUE(has_break);
    if (geteuid() == 0) {
      auto s = e->probe();
      EXPECT_TRUE(s.ok) << s.reason;
    }
  }
}

}  // namespace
