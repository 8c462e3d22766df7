#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <ostream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>

#include "benchlab/core/error.hpp"
#include "benchlab/netns/topology.hpp"
#include "test_util.hpp"

namespace benchlab::netns {

// Readable parameter names in test output and ctest.
void PrintTo(Family f, std::ostream* os) { *os << to_string(f); }

namespace {

using Clock = std::chrono::steady_clock;

// ---- plain-socket helpers ----------------------------------------------------------------

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { if (fd >= 0) close(fd); }
};

sockaddr_storage sockaddr_of(const IpAddress& a, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (a.family == Family::ipv4) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  return ss;
}

IpAddress ip_of(const sockaddr_storage& ss) {
  IpAddress a;
  if (ss.ss_family == AF_INET) {
    a.family = Family::ipv4;
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
  } else {
    a.family = Family::ipv6;
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, 16);
  }
  return a;
}

void set_timeouts(int fd) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void check(bool ok, const char* what) {
  if (!ok) throw SystemError(what, errno);
}

struct TcpResult {
  size_t echoed = 0;
  IpAddress client_local;    // the client's source address as the client sees it
  IpAddress server_peer;     // the client's address as the server sees it
};

// A server in the server endpoint's namespace echoes `bytes` bytes back to a client in the
// client endpoint's namespace that connects to the server's address.
TcpResult tcp_echo(const Topology& topo, size_t bytes) {
  const Endpoint& srv = topo.server();
  const Endpoint& cli = topo.client();
  const int af = srv.addr.family == Family::ipv4 ? AF_INET : AF_INET6;
  std::promise<uint16_t> port_promise;
  auto port_future = port_promise.get_future();
  TcpResult result;
  std::exception_ptr server_error;

  std::thread server([&] {
    bool port_sent = false;
    try {
      srv.ns->run_in([&] {
        Fd ls(socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0));
        check(ls.fd >= 0, "server socket");
        set_timeouts(ls.fd);
        socklen_t len;
        sockaddr_storage sa = sockaddr_of(srv.addr, 0, len);
        check(bind(ls.fd, reinterpret_cast<sockaddr*>(&sa), len) == 0, "bind");
        check(listen(ls.fd, 1) == 0, "listen");
        check(getsockname(ls.fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0, "getsockname");
        port_promise.set_value(ntohs(reinterpret_cast<sockaddr_in*>(&sa)->sin_port));   // same offset in v6
        port_sent = true;
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        Fd c(accept(ls.fd, reinterpret_cast<sockaddr*>(&peer), &plen));
        check(c.fd >= 0, "accept");
        set_timeouts(c.fd);
        result.server_peer = ip_of(peer);
        std::vector<char> buf(65536);
        size_t total = 0;
        while (total < bytes) {
          ssize_t n = read(c.fd, buf.data(), buf.size());
          check(n > 0, "server read");
          check(write(c.fd, buf.data(), size_t(n)) == n, "server write");
          total += size_t(n);
        }
      });
    } catch (...) {
      server_error = std::current_exception();
      if (!port_sent) port_promise.set_exception(server_error);
    }
  });

  std::exception_ptr client_error;
  try {
    const uint16_t port = port_future.get();
    cli.ns->run_in([&] {
      Fd s(socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0));
      check(s.fd >= 0, "client socket");
      set_timeouts(s.fd);
      socklen_t len;
      sockaddr_storage sa = sockaddr_of(srv.addr, port, len);
      check(connect(s.fd, reinterpret_cast<sockaddr*>(&sa), len) == 0, "connect");
      sockaddr_storage local{};
      socklen_t llen = sizeof local;
      check(getsockname(s.fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0, "getsockname");
      result.client_local = ip_of(local);
      std::vector<char> out(bytes), in(65536);
      for (size_t i = 0; i < bytes; ++i) out[i] = char(i * 131 + 7);
      size_t sent = 0, got = 0;
      // Interleave writes and reads so neither side's buffers fill up.
      while (got < bytes) {
        if (sent < bytes) {
          ssize_t n = write(s.fd, out.data() + sent, std::min<size_t>(bytes - sent, 16384));
          check(n > 0, "client write");
          sent += size_t(n);
        }
        ssize_t n = read(s.fd, in.data(), std::min(in.size(), sent - got));
        check(n > 0, "client read");
        if (std::memcmp(in.data(), out.data() + got, size_t(n)) != 0) throw RunError("echo mismatch");
        got += size_t(n);
      }
      result.echoed = got;
    });
  } catch (...) {
    client_error = std::current_exception();
  }
  server.join();
  if (client_error) std::rethrow_exception(client_error);
  if (server_error) std::rethrow_exception(server_error);
  return result;
}

// ---- netlink views used by the assertions -------------------------------------------------

struct NeighView {
  bool found = false;
  int state = 0;
  std::array<uint8_t, 6> mac{};
};

NeighView neighbour(const Endpoint& on, const IpAddress& ip) {
  NeighView v;
  on.ns->run_in([&] {
    nl_sock* sk = nl_socket_alloc();
    ASSERT_NE(sk, nullptr);
    ASSERT_EQ(nl_connect(sk, NETLINK_ROUTE), 0);
    nl_cache* cache = nullptr;
    ASSERT_EQ(rtnl_neigh_alloc_cache(sk, &cache), 0);
    nl_addr* dst = nl_addr_build(ip.family == Family::ipv4 ? AF_INET : AF_INET6, ip.bytes.data(),
                                 ip.family == Family::ipv4 ? 4 : 16);
    if (rtnl_neigh* n = rtnl_neigh_get(cache, on.ifindex, dst)) {
      v.found = true;
      v.state = rtnl_neigh_get_state(n);
      if (nl_addr* ll = rtnl_neigh_get_lladdr(n); ll && nl_addr_get_len(ll) == 6)
        std::memcpy(v.mac.data(), nl_addr_get_binary_addr(ll), 6);
      rtnl_neigh_put(n);
    }
    nl_addr_put(dst);
    nl_cache_free(cache);
    nl_socket_free(sk);
  });
  return v;
}

struct AddrView {
  std::string ip;
  int prefixlen = 0;
  unsigned flags = 0;
};

struct LinkView {
  bool found = false;
  unsigned mtu = 0;
  unsigned flags = 0;
  std::vector<AddrView> addrs;
};

LinkView link_view(const Endpoint& ep) {
  LinkView v;
  ep.ns->run_in([&] {
    nl_sock* sk = nl_socket_alloc();
    ASSERT_EQ(nl_connect(sk, NETLINK_ROUTE), 0);
    rtnl_link* link = nullptr;
    if (rtnl_link_get_kernel(sk, ep.ifindex, nullptr, &link) == 0) {
      v.found = true;
      v.mtu = rtnl_link_get_mtu(link);
      v.flags = rtnl_link_get_flags(link);
      rtnl_link_put(link);
    }
    nl_cache* cache = nullptr;
    ASSERT_EQ(rtnl_addr_alloc_cache(sk, &cache), 0);
    for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
      auto* a = reinterpret_cast<rtnl_addr*>(o);
      if (rtnl_addr_get_ifindex(a) != ep.ifindex) continue;
      nl_addr* local = rtnl_addr_get_local(a);
      IpAddress ip;
      ip.family = nl_addr_get_family(local) == AF_INET ? Family::ipv4 : Family::ipv6;
      std::memcpy(ip.bytes.data(), nl_addr_get_binary_addr(local), nl_addr_get_len(local));
      v.addrs.push_back({ip.str(), rtnl_addr_get_prefixlen(a), rtnl_addr_get_flags(a)});
    }
    nl_cache_free(cache);
    nl_socket_free(sk);
  });
  return v;
}

bool has_addr(const LinkView& v, const IpAddress& ip, int prefixlen, unsigned* flags = nullptr) {
  for (const auto& a : v.addrs)
    if (a.ip == ip.str() && a.prefixlen == prefixlen) {
      if (flags) *flags = a.flags;
      return true;
    }
  return false;
}

std::vector<std::string> root_links_with_prefix(const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& n : test::link_names())
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  return out;
}

bool zero_mac(const std::array<uint8_t, 6>& m) {
  return std::all_of(m.begin(), m.end(), [](uint8_t b) { return b == 0; });
}

TopologyOptions options(Family f, int mtu = 1500) {
  TopologyOptions o;
  o.family = f;
  o.mtu = mtu;
  o.run_id = test::unique_id();
  return o;
}

// ---- loopback -------------------------------------------------------------------------------

class NetnsLoopback : public ::testing::TestWithParam<Family> {};

TEST_P(NetnsLoopback, BuildsConnectsCountsAndTearsDown) {
  BL_REQUIRE_ROOT();
  const Family fam = GetParam();
  TopologyOptions o = options(fam);
  const std::string ns_name = "bl-" + o.run_id + "-lo";
  {
    auto topo = make_loopback(o);
    EXPECT_EQ(topo->kind(), "loopback");
    const Endpoint& c = topo->client();
    const Endpoint& s = topo->server();
    EXPECT_EQ(c.ns, s.ns);
    ASSERT_NE(c.ns, nullptr);
    EXPECT_EQ(c.ns->name(), ns_name);
    EXPECT_EQ(c.ifname, "lo");
    EXPECT_GT(c.ifindex, 0);
    EXPECT_TRUE(zero_mac(c.mac));
    const char* want = fam == Family::ipv4 ? "198.18.0.1" : "2001:2::1";
    EXPECT_EQ(c.addr.str(), want);
    EXPECT_EQ(s.addr.str(), want);
    EXPECT_TRUE(is_benchmark_address(c.addr));
    EXPECT_EQ(topo->interfaces().size(), 1u);
    EXPECT_GT(topo->build_time().count(), 0);
    EXPECT_TRUE(test::netns_file_exists(ns_name));

    LinkView lv = link_view(c);
    EXPECT_TRUE(lv.flags & IFF_UP);
    unsigned flags = 0;
    EXPECT_TRUE(has_addr(lv, c.addr, fam == Family::ipv4 ? 32 : 128, &flags));
    if (fam == Family::ipv6) {
      EXPECT_TRUE(flags & IFA_F_NODAD);
    }

    LinkCounters before = read_link_counters(c);
    TcpResult r = tcp_echo(*topo, 256 * 1024);
    EXPECT_EQ(r.echoed, 256u * 1024);
    EXPECT_EQ(r.server_peer.str(), want);
    LinkCounters after = read_link_counters(c);
    EXPECT_GT(after.tx_packets, before.tx_packets + 10);
    EXPECT_GT(after.rx_packets, before.rx_packets + 10);
    EXPECT_GT(after.tx_bytes, before.tx_bytes + 2 * 256 * 1024);

    auto off = read_offloads(c);
    for (const char* k : {"tso", "gso", "gro", "sg", "tx-checksum", "rx-checksum"})
      EXPECT_TRUE(off.count(k)) << "missing offload key " << k;
    EXPECT_TRUE(off["tso"]) << "lo always does TSO";
  }
  EXPECT_FALSE(test::netns_file_exists(ns_name));
}

INSTANTIATE_TEST_SUITE_P(Families, NetnsLoopback, ::testing::Values(Family::ipv4, Family::ipv6),
                         [](const auto& i) { return to_string(i.param); });

// ---- veth -----------------------------------------------------------------------------------

class NetnsVeth : public ::testing::TestWithParam<Family> {};

TEST_P(NetnsVeth, BuildsConnectsCountsAndTearsDown) {
  BL_REQUIRE_ROOT();
  const Family fam = GetParam();
  const bool v6 = fam == Family::ipv6;
  TopologyOptions o = options(fam, 9000);
  const std::string cns = "bl-" + o.run_id + "-c", sns = "bl-" + o.run_id + "-s";
  std::string cif, sif;
  {
    auto topo = make_veth(o);
    EXPECT_EQ(topo->kind(), "veth");
    const Endpoint& c = topo->client();
    const Endpoint& s = topo->server();
    ASSERT_NE(c.ns, nullptr);
    ASSERT_NE(s.ns, nullptr);
    EXPECT_NE(c.ns, s.ns);
    EXPECT_EQ(c.ns->name(), cns);
    EXPECT_EQ(s.ns->name(), sns);
    cif = c.ifname;
    sif = s.ifname;
    EXPECT_EQ(cif, "bl" + o.run_id + "c");
    EXPECT_EQ(sif, "bl" + o.run_id + "s");
    EXPECT_LE(cif.size(), 15u);
    EXPECT_GT(c.ifindex, 0);
    EXPECT_GT(s.ifindex, 0);
    EXPECT_FALSE(zero_mac(c.mac));
    EXPECT_FALSE(zero_mac(s.mac));
    EXPECT_NE(c.mac, s.mac);
    EXPECT_EQ(c.addr.str(), v6 ? "2001:2::1" : "198.18.0.1");
    EXPECT_EQ(s.addr.str(), v6 ? "2001:2::2" : "198.18.0.2");
    EXPECT_TRUE(is_benchmark_address(c.addr));
    EXPECT_TRUE(is_benchmark_address(s.addr));
    ASSERT_EQ(topo->interfaces().size(), 2u);
    EXPECT_EQ(topo->interfaces()[0], &c);
    EXPECT_EQ(topo->interfaces()[1], &s);

    // Neither end ever shows in the caller's namespace.
    auto root = test::link_names();
    EXPECT_EQ(root.count(cif), 0u);
    EXPECT_EQ(root.count(sif), 0u);

    for (const Endpoint* ep : {&c, &s}) {
      LinkView lv = link_view(*ep);
      ASSERT_TRUE(lv.found) << ep->ifname;
      EXPECT_EQ(lv.mtu, 9000u) << ep->ifname;
      EXPECT_TRUE(lv.flags & IFF_UP) << ep->ifname;
      unsigned flags = 0;
      EXPECT_TRUE(has_addr(lv, ep->addr, v6 ? 64 : 30, &flags)) << ep->ifname;
      if (v6) {
        EXPECT_TRUE(flags & IFA_F_NODAD);
      }
      // Address generation is off: the global address is the only one, no link-local chatter.
      EXPECT_EQ(lv.addrs.size(), 1u) << ep->ifname;
      bool lo_up = false;
      ep->ns->run_in([&] {
        for (const auto& n : test::link_names()) if (n == "lo") lo_up = true;
      });
      EXPECT_TRUE(lo_up);
    }

    // Static neighbours both ways, before and after traffic.
    auto check_neigh = [&](const char* when) {
      NeighView cn = neighbour(c, s.addr);
      ASSERT_TRUE(cn.found) << when;
      EXPECT_TRUE(cn.state & NUD_PERMANENT) << when << " state " << cn.state;
      EXPECT_EQ(cn.mac, s.mac) << when;
      NeighView sn = neighbour(s, c.addr);
      ASSERT_TRUE(sn.found) << when;
      EXPECT_TRUE(sn.state & NUD_PERMANENT) << when << " state " << sn.state;
      EXPECT_EQ(sn.mac, c.mac) << when;
    };
    check_neigh("before traffic");

    LinkCounters cb = read_link_counters(c), sb = read_link_counters(s);
    TcpResult r = tcp_echo(*topo, 1024 * 1024);
    EXPECT_EQ(r.echoed, 1024u * 1024);
    EXPECT_EQ(r.client_local.str(), c.addr.str());
    EXPECT_EQ(r.server_peer.str(), c.addr.str());
    LinkCounters ca = read_link_counters(c), sa = read_link_counters(s);
    EXPECT_GT(ca.tx_packets, cb.tx_packets + 10);
    EXPECT_GT(ca.rx_packets, cb.rx_packets + 10);
    EXPECT_GT(sa.tx_packets, sb.tx_packets + 10);
    EXPECT_GT(sa.rx_packets, sb.rx_packets + 10);
    EXPECT_GE(ca.tx_bytes - cb.tx_bytes, 1024u * 1024);
    EXPECT_GE(sa.rx_bytes - sb.rx_bytes, 1024u * 1024);
    // What one end sends the other receives: veth drops nothing here.
    EXPECT_EQ(ca.tx_packets - cb.tx_packets, sa.rx_packets - sb.rx_packets);
    check_neigh("after traffic");

    for (const Endpoint* ep : {&c, &s}) {
      auto off = read_offloads(*ep);
      for (const char* k : {"tso", "gso", "gro", "sg", "tx-checksum", "rx-checksum", "lro"})
        EXPECT_TRUE(off.count(k)) << ep->ifname << " missing offload key " << k;
      EXPECT_TRUE(off["tx-checksum"]) << ep->ifname;
      EXPECT_TRUE(off["tso"]) << ep->ifname;
    }
  }
  EXPECT_FALSE(test::netns_file_exists(cns));
  EXPECT_FALSE(test::netns_file_exists(sns));
  auto names = list_benchlab_netns();
  EXPECT_EQ(std::count(names.begin(), names.end(), cns), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), sns), 0);
  EXPECT_EQ(root_links_with_prefix("bl"), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Families, NetnsVeth, ::testing::Values(Family::ipv4, Family::ipv6),
                         [](const auto& i) { return to_string(i.param); });

// ---- failures and timing -----------------------------------------------------------------

void expect_failed_build_left_nothing(const TopologyOptions& o, const char* why) {
  const auto before = list_benchlab_netns();
  try {
    make_veth(o);
    ADD_FAILURE() << why << ": build succeeded";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_FALSE(msg.empty()) << why;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << why << ": not one line: " << msg;
    std::printf("[ info     ] %s -> %s\n", why, msg.c_str());
  }
  EXPECT_FALSE(test::netns_file_exists("bl-" + o.run_id + "-c")) << why;
  EXPECT_FALSE(test::netns_file_exists("bl-" + o.run_id + "-s")) << why;
  EXPECT_EQ(list_benchlab_netns(), before) << why;
  EXPECT_EQ(root_links_with_prefix("bl"), std::vector<std::string>{}) << why;
}

TEST(NetnsFailure, InvalidMtuUndoesNamespaces) {
  BL_REQUIRE_ROOT();
  expect_failed_build_left_nothing(options(Family::ipv4, 70000), "veth with mtu 70000");
}

TEST(NetnsFailure, Ipv6BelowMinimumMtuUndoesVethAndNamespaces) {
  BL_REQUIRE_ROOT();
  // The veth pair is created (1000 is a valid veth MTU) but IPv6 refuses links under 1280, so the
  // build fails after the pair exists.
  expect_failed_build_left_nothing(options(Family::ipv6, 1000), "ipv6 veth with mtu 1000");
}

TEST(NetnsFailure, NameCollisionUndoesFirstNamespace) {
  BL_REQUIRE_ROOT();
  TopologyOptions o = options(Family::ipv4);
  auto squatter = Netns::create("bl-" + o.run_id + "-s");   // the server namespace's name is taken
  try {
    make_veth(o);
    ADD_FAILURE() << "build succeeded";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.err(), EEXIST);
  }
  EXPECT_FALSE(test::netns_file_exists("bl-" + o.run_id + "-c"));
  EXPECT_TRUE(test::netns_file_exists("bl-" + o.run_id + "-s")) << "a failed build must not remove what it does not own";
}

TEST(NetnsTiming, VethBuildAndTeardownIsFast) {
  BL_REQUIRE_ROOT();
  constexpr int kRounds = 10;
  std::vector<double> total_ms, build_ms;
  for (int i = 0; i < kRounds; ++i) {
    TopologyOptions o = options(i % 2 ? Family::ipv6 : Family::ipv4);
    const auto t0 = Clock::now();
    auto topo = make_veth(o);
    build_ms.push_back(std::chrono::duration<double, std::milli>(topo->build_time()).count());
    topo.reset();
    total_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  auto sorted = total_ms;
  std::sort(sorted.begin(), sorted.end());
  auto bsorted = build_ms;
  std::sort(bsorted.begin(), bsorted.end());
  std::printf("[ info     ] veth build+teardown over %d rounds: min %.2f ms, median %.2f ms, max %.2f ms "
              "(build alone: median %.2f ms)\n",
              kRounds, sorted.front(), sorted[kRounds / 2], sorted.back(), bsorted[kRounds / 2]);
  RecordProperty("median_build_teardown_us", int(sorted[kRounds / 2] * 1000));
  EXPECT_LT(sorted.back(), 2000.0);
  for (size_t i = 0; i < build_ms.size(); ++i) EXPECT_LE(build_ms[i], total_ms[i]);
  EXPECT_EQ(root_links_with_prefix("bl"), std::vector<std::string>{});
}

}  // namespace
}  // namespace benchlab::netns
