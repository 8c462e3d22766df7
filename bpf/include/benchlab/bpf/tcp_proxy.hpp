// TCP-splicing proxy datapaths (issue #3): client → proxy → server, the proxy forwarding bytes
// between its two sockets of each connection, both directions, any number of connections.
//   proxy-copy     user space: epoll, nonblocking read()/write(), one buffer per direction
//   proxy-splice   user space: splice(2) socket → pipe → socket per direction
//   proxy-sockmap  kernel: both sockets in a SOCKHASH, an sk_skb stream verdict redirects each
//                  skb to the other socket's egress; user space never touches the bytes
//   sockmap-skb    (ProxyMode::relay) kernel: the relay's verdict redirects each skb into the
//                  ingress queue of the workload socket at the far end (bench_sockmap's
//                  rx_verdict_ingress); the workload's sockets join a SOCKHASH through sockops in
//                  a cgroup the datapath creates, and pass a readiness barrier
// The proxy runs as a ChildProcess in the server endpoint's namespace, started on the first
// client_target() call for a port, listening on the server's address at port + port_offset.
// Destroying the datapath kills and reaps every proxy and (sockmap) detaches and unloads the
// verdict program; nothing is pinned.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "benchlab/core/datapath.hpp"

namespace benchlab::bpf {

enum class ProxyMode { copy, splice, sockmap, relay };
const char* proxy_name(ProxyMode m);   // "proxy-copy", "proxy-splice", "proxy-sockmap", "sockmap-skb"
inline bool uses_bpf(ProxyMode m) { return m == ProxyMode::sockmap || m == ProxyMode::relay; }

struct TcpProxyConfig {
  ProxyMode mode = ProxyMode::copy;
  int cpu = -1;                         // CPU the proxy is pinned to, -1: not pinned
  uint16_t port_offset = 1000;          // proxy listens on server port + port_offset
  uint32_t buffer_bytes = 65536;        // copy: buffer per direction; splice: pipe size
  uint32_t max_connections = 4096;      // per proxy; sockmap maps hold 2 per connection
  std::chrono::milliseconds ready_timeout{2000};   // proxy listening, upstream connect, drain
  double max_lifetime_s = 3600;         // a proxy exits by itself after this, whatever happens
  std::string run_id;                   // relay: names the run's cgroup (bl-<run_id>-relay)
  double memory_floor = 0.25;           // relay: stop redirecting below this share of MemAvailable
  bool test_bypass = false;             // TEST ONLY: client_target() returns the server itself
  bool test_break_key = false;          // TEST ONLY (sockmap, relay): every verdict lookup misses
  int test_gate_delay_ms = 0;           // TEST ONLY (sockmap): wait before gating a connection,
                                        // so bytes are queued when it is gated
};

class TcpProxy final : public Datapath {
 public:
  explicit TcpProxy(const DatapathContext& ctx, const TcpProxyConfig& cfg);   // throws
  TcpProxy(const Endpoint& server, const TcpProxyConfig& cfg);          // tests
  ~TcpProxy() override;
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::string name() const override;
  ConnectTarget client_target(const Endpoint& server, uint16_t port) const override;
  std::string workload_cgroup() const override;   // relay: the run's cgroup; others: ""
  void await_socket(int fd) const override;        // relay: in `targets` and armed; others: no-op
  Counters read_counters() const override;
  Engagement check_engagement(const WindowCounters& delta, const WorkloadResult& r) const override;

  // Process ids of the running proxies (tests check they are gone after destruction).
  std::vector<int> proxy_pids() const;

 private:
  struct State;
  ProxyMode mode_;
  std::unique_ptr<State> st_;
};

// Counter names (read_counters()):
//   all modes   connections           client connections accepted and spliced to the server
//               connect_errors        upstream connects that failed (client side closed)
//               c2s_bytes, s2c_bytes  bytes the proxy's user space moved, client→server and back
//                                     (copy: read()/write(); splice: splice(); sockmap: fallback
//                                     copies of verdict misses only)
//               forwarded_bytes       c2s_bytes + s2c_bytes
//               user_copied_bytes     bytes that crossed the proxy's user-space memory
//                                     (copy: all of them; splice: 0; sockmap: misses' fallback)
//   sockmap, relay
//               redirected_skbs, redirected_bytes   BPF verdict: handed to the peer's egress
//                                                   (relay: into the far end's ingress)
//               misses, miss_bytes                  BPF verdict: no peer, SK_PASS (fallback)
//               empty_skbs            BPF verdict: bare FINs (no payload), dropped; the proxy
//                                     forwards the FIN itself
//               pre_gate_bytes        bytes already queued on a socket when it was gated;
//                                     carried by BPF after the kick (not by user space)
//               drain_timeouts        bounded waits that expired: a FIN forwarded before BPF's
//                                     bytes had all reached the peer's TCP, or an EOF taken
//                                     before every passed (missed) byte was read
//               gate_errors           connections closed because their sockets could not
//                                     enter the maps (relay: or the workload's did not appear)
//   relay       inserted, insert_errors   workload sockets sockops put into `targets`
//               memory_guard_trips    times a relay stopped redirecting because MemAvailable fell
//                                     below memory_floor of MemTotal (the run then fails)
//
// Engagement rule (also used by tests without a kernel):
//  1. The workload received payload in the measured window (Σ bytes of non-warm-up samples).
//  2. Carried bytes over the window ≥ 99% of those: forwarded_bytes (copy, splice) or
//     redirected_bytes (sockmap, relay).
//  3. sockmap and relay: user_copied_bytes ≤ 1% of the bytes received — the proxy's user space
//     copied (almost) nothing.
inline constexpr double kMinProxyCarriedShare = 0.99;
inline constexpr double kMaxSockmapUserCopyShare = 0.01;
// `counters` are either the window's deltas (whole_run = false: measured samples count) or the
// proxy's totals over the whole run (whole_run = true: every sample counts).
Engagement evaluate_proxy_engagement(ProxyMode mode, const Counters& counters, const WorkloadResult& r,
                                     bool whole_run = false);

}  // namespace benchlab::bpf
