// TCP-splicing proxy datapaths (issue #3): client → proxy → server, the proxy forwarding bytes
// between its two sockets of each connection, both directions, any number of connections.
// TcpProxy is the skeleton every proxy datapath shares; its Mover (mover.hpp), chosen by the
// registry row, is the one step that differs:
//   proxy-copy     user space: nonblocking read()/write(), one buffer per direction
//   proxy-splice   user space: splice(2) socket → pipe → socket per direction
//   proxy-sockmap  kernel: both sockets in a SOCKHASH, an sk_skb stream verdict redirects each
//                  skb to the other socket's egress; user space never touches the bytes
//   sockmap-skb    kernel: the relay's verdict redirects each skb into the ingress queue of the
//                  workload socket at the far end (bench_sockmap's rx_verdict_ingress); the
//                  workload's sockets join a SOCKHASH through sockops in a cgroup the mover
//                  creates, and pass a readiness barrier
// The proxy runs as a ChildProcess in the server endpoint's namespace, started on the first
// client_target() call for a port, listening on the server's address at port + port_offset.
// Destroying the datapath kills and reaps every proxy, then destroys the mover (which detaches
// whatever it attached); nothing is pinned.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "benchlab/core/child.hpp"
#include "benchlab/core/datapath.hpp"
#include "benchlab/proxy/mover.hpp"

namespace benchlab::proxy {

// What the skeleton needs, whatever the mover.
struct ProxyConfig {
  int cpu = -1;                         // CPU the proxy is pinned to, -1: not pinned
  uint16_t port_offset = 1000;          // proxy listens on server port + port_offset
  uint32_t max_connections = 4096;      // per proxy
  std::chrono::milliseconds ready_timeout{2000};   // proxy listening, upstream connect, drain
  double max_lifetime_s = 3600;         // a proxy exits by itself after this, whatever happens
  bool test_bypass = false;             // TEST ONLY: client_target() returns the server itself
};

class TcpProxy final : public Datapath {
 public:
  // Proxies for ports of `server`'s endpoint, moving bytes with `mover`. Throws SystemError.
  // The proxies start in client_target(), beside the server endpoint it names.
  TcpProxy(const ProxyConfig& cfg, std::unique_ptr<Mover> mover);
  ~TcpProxy() override;
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::string name() const override { return mover_->name(); }
  ConnectTarget client_target(const Endpoint& server, uint16_t port) const override;
  std::string workload_cgroup() const override { return mover_->workload_cgroup(); }
  void await_socket(int fd) const override { mover_->await_socket(fd); }
  Counters read_counters() const override;
  Engagement check_engagement(const WindowCounters& delta, const WorkloadResult& r) const override;

  // Process ids of the running proxies (tests check they are gone after destruction).
  std::vector<int> proxy_pids() const;

 private:
  // Members in creation order; destroyed in reverse, which is the teardown order: the proxies
  // die before the mover detaches what they use.
  ProxyConfig cfg_;
  SharedBlock<ProxyCounters> counters_;
  std::unique_ptr<Mover> mover_;
  mutable std::map<uint16_t, std::unique_ptr<ChildProcess>> proxies_;   // by workload port
};

// Counter names (read_counters()):
//   every mover  connections           client connections accepted and spliced to the server
//                connect_errors        upstream connects that failed (client side closed)
//                c2s_bytes, s2c_bytes  bytes the proxy's user space moved, client→server and back
//                                      (copy: read()/write(); splice: splice(); sockmap movers:
//                                      fallback copies of verdict misses only)
//                forwarded_bytes       c2s_bytes + s2c_bytes
//                user_copied_bytes     bytes that crossed the proxy's user-space memory
//                                      (copy: all of them; splice: 0; sockmap: misses' fallback)
//   and what the mover adds (sockmap_movers.hpp).
//
// Engagement rule (also used by tests without a kernel), from the mover's CarryProof:
//  1. The workload received payload in the measured window (Σ bytes of non-warm-up samples).
//  2. The mover's veto, if any, has nothing to say.
//  3. Carried bytes over the window ≥ 99% of those: the proof's carried_counter.
//  4. A mover not meant to copy (the sockmap movers: kMaxKernelUserCopyShare):
//     user_copied_bytes ≤ its share of the bytes received.
inline constexpr double kMinProxyCarriedShare = 0.99;
inline constexpr double kMaxKernelUserCopyShare = 0.01;
// `counters` are either the window's deltas (whole_run = false: measured samples count) or the
// proxy's totals over the whole run (whole_run = true: every sample counts). `who` names the
// datapath in the message.
Engagement evaluate_proxy_engagement(const std::string& who, const CarryProof& proof, const Counters& counters,
                                     const WorkloadResult& r, bool whole_run = false);

}  // namespace benchlab::proxy
