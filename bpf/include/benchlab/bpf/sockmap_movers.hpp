// The proxy movers whose bytes a BPF stream verdict moves (progs/sockmap_proxy.bpf.c), for the
// proxy skeleton of harness/proxy (TcpProxy):
//   sockmap egress redirect  (proxy-sockmap) both sockets of each proxied connection join a
//                            SOCKHASH; the verdict redirects every skb to the other socket's
//                            egress, so the proxy's user space never touches the bytes
//   sockmap ingress relay    (sockmap-skb) the verdict on the relay's sockets redirects every skb
//                            into the ingress queue of the workload socket at the far end
//                            (bench_sockmap's rx_verdict_ingress); the workload's sockets join a
//                            SOCKHASH through sockops in a cgroup the mover creates, and pass a
//                            readiness barrier
// Constructing a mover loads its programs and attaches them (the relay also creates its cgroup);
// destroying it detaches and unloads them. Miss policy (both): a verdict without a target passes
// the skb (SK_PASS, a counted miss) and the proxy's user space forwards those bytes itself,
// counted as user-copied; never a drop.
//
// Counters they add to the proxy's (TcpProxy::read_counters):
//   both   redirected_skbs, redirected_bytes   BPF verdict: handed to the peer's egress
//                                              (relay: into the far end's ingress)
//          misses, miss_bytes                  BPF verdict: no peer, SK_PASS (fallback)
//          empty_skbs            BPF verdict: bare FINs (no payload), dropped; the proxy
//                                forwards the FIN itself
//          pre_gate_bytes        bytes already queued on a socket when it was gated; carried
//                                by BPF after the kick (not by user space)
//          drain_timeouts        bounded waits that expired: a FIN forwarded before BPF's bytes
//                                had all reached the peer's TCP, or an EOF taken before every
//                                passed (missed) byte was read
//          gate_errors           connections closed because their sockets could not enter the
//                                maps (relay: or the workload's did not appear)
//   relay  inserted, insert_errors   workload sockets sockops put into `targets`
//          memory_guard_trips    times a relay stopped redirecting because MemAvailable fell
//                                below memory_floor of MemTotal (the run then fails)
// Both prove themselves by redirected_bytes, with the proxy's user space copying at most 1%.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "benchlab/proxy/mover.hpp"

namespace benchlab::bpf {

struct SockmapMoverConfig {
  uint32_t max_connections = 4096;      // per proxy; the maps hold 2 sockets per connection
  std::chrono::milliseconds ready_timeout{2000};   // relay: the workload sockets' barrier
  bool test_break_key = false;          // TEST ONLY: every verdict lookup misses
  int test_gate_delay_ms = 0;           // TEST ONLY: wait before gating a connection, so bytes
                                        // are queued when it is gated
  std::string run_id;                   // relay: names the run's cgroup (bl-<run_id>-relay)
  double memory_floor = 0.25;           // relay: stop redirecting below this share of MemAvailable
};

// `name` is the datapath's ("proxy-sockmap", "sockmap-skb"). Throw UnsupportedError or RunError
// when the programs cannot be loaded or attached.
std::unique_ptr<proxy::Mover> make_egress_redirect_mover(std::string name, const SockmapMoverConfig& cfg);
std::unique_ptr<proxy::Mover> make_ingress_relay_mover(std::string name, const SockmapMoverConfig& cfg);

// What each mover's check_engagement is judged by (tests use them without a kernel).
proxy::CarryProof egress_redirect_proof();
proxy::CarryProof ingress_relay_proof();   // plus the memory guard's veto

}  // namespace benchlab::bpf
