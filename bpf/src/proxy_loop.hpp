// The proxy's own process: what runs inside the ChildProcess a TcpProxy starts. Not part of
// benchlab_bpf's public interface.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>

#include "benchlab/bpf/tcp_proxy.hpp"

namespace benchlab {
class ChildChannel;
}

namespace benchlab::bpf {

// Counters the proxy children update and the parent reads live: they sit in a MAP_SHARED
// anonymous mapping made before the fork. Lock-free 64-bit atomics are address-free, so they
// work across processes. Several proxies (one per port) add into the same block.
struct alignas(64) ProxySharedCounters {
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> connect_errors{0};
  std::atomic<uint64_t> c2s_bytes{0};
  std::atomic<uint64_t> s2c_bytes{0};
  std::atomic<uint64_t> user_copied_bytes{0};
  std::atomic<uint64_t> pre_gate_bytes{0};
  std::atomic<uint64_t> drain_timeouts{0};
  std::atomic<uint64_t> gate_errors{0};
  std::atomic<uint64_t> memory_guard_trips{0};   // relay: redirects stopped for lack of memory
};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters must be lock-free");

struct ProxyLoopConfig {
  ProxyMode mode = ProxyMode::copy;
  sockaddr_storage listen{};
  socklen_t listen_len = 0;
  sockaddr_storage upstream{};
  socklen_t upstream_len = 0;
  uint32_t buffer_bytes = 65536;
  uint32_t max_connections = 4096;
  int timeout_ms = 2000;           // upstream connect, half-close drain
  double max_lifetime_s = 3600;
  ProxySharedCounters* counters = nullptr;
  // proxy-sockmap: the maps of the parent's skeleton, inherited across fork.
  int peer_map_fd = -1;            // SOCKHASH cookie → peer socket (redirect target)
  int gate_map_fd = -1;            // SOCKHASH with the verdict attached
  int conn_bytes_fd = -1;          // HASH cookie → bytes redirected out of that socket
  int counters_map_fd = -1;        // PERCPU_ARRAY of bl_proxy_verdict_counters
  // relay (sockmap-skb): the workload's sockets and what the verdict redirects into.
  int targets_fd = -1;             // SOCKHASH bl_sock_key → workload socket (filled by sockops)
  int target_of_fd = -1;           // HASH relay socket cookie → bl_sock_key in targets
  int armed_fd = -1;               // HASH bl_sock_key → 1 once its relay socket is gated
  int guard_fd = -1;               // ARRAY[1]: 1 stops every redirect (memory guard)
  double memory_floor = 0.25;      // trip the guard when MemAvailable < this share of MemTotal
  int test_gate_delay_ms = 0;      // test only: let bytes queue up before gating
};

// Binds and listens, calls ch.ready(), then forwards until max_lifetime_s has passed (the
// parent normally kills it long before). Throws RunError/SystemError on set-up failures.
void run_proxy(const ProxyLoopConfig& cfg, ChildChannel& ch);

}  // namespace benchlab::bpf
