// Lifecycle: map the shared counters → (sockmap) open the skeleton, set rodata and map sizes,
// load, attach the verdict to the gate map → on the first client_target() for a port, fork the
// proxy into the server's namespace and wait, bounded, until it listens. Teardown in reverse
// through member destructors: kill and reap the proxies (closing their sockets releases the
// psocks), detach the verdict from the map, destroy the skeleton, unmap the counters.
#include "benchlab/bpf/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cerrno>
#include <cstring>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include "benchlab/core/system_paths.hpp"
#include "benchlab/bpf/sockhash_redirect.hpp"
#include "benchlab/bpf/sockmap_proxy.h"
#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "cgroup_dir.hpp"
#include "internal.hpp"
#include "proxy_loop.hpp"
#include "sockmap_proxy.skel.h"

namespace benchlab::bpf {

const char* proxy_name(ProxyMode m) {
  switch (m) {
    case ProxyMode::copy: return "proxy-copy";
    case ProxyMode::splice: return "proxy-splice";
    case ProxyMode::sockmap: return "proxy-sockmap";
    case ProxyMode::relay: return "sockmap-skb";
  }
  return "proxy-?";
}


struct TcpProxy::State {
  struct SharedCounters {
    ProxySharedCounters* p = nullptr;
    ~SharedCounters() {
      if (p) munmap(p, sizeof *p);
    }
  };
  struct Skeleton {
    sockmap_proxy* s = nullptr;
    ~Skeleton() {
      if (s) sockmap_proxy__destroy(s);
    }
  };

  TcpProxyConfig cfg;
  const Endpoint* server = nullptr;   // where proxies run (nullptr: client_target's)
  SharedCounters shm;
  Skeleton skel;
  MapProgAttachment verdict;
  std::unique_ptr<CgroupDir> cgroup;   // relay: the workload's cgroup, with sockops attached
  CgroupLinkAttachment sockops;
  std::map<uint16_t, std::unique_ptr<ChildProcess>> proxies;   // by workload port
};

TcpProxy::TcpProxy(const DatapathContext& ctx, const TcpProxyConfig& cfg) : TcpProxy(ctx.topo.server(), cfg) {}

TcpProxy::TcpProxy(const Endpoint& server, const TcpProxyConfig& cfg)
    : mode_(cfg.mode), st_(std::make_unique<State>()) {
  st_->cfg = cfg;
  st_->server = &server;
  void* p = mmap(nullptr, sizeof(ProxySharedCounters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw SystemError(name() + ": mmap of the shared counters", errno);
  st_->shm.p = new (p) ProxySharedCounters();
  if (!uses_bpf(mode_)) return;

  const char* who = proxy_name(mode_);
  install_libbpf_log();
  sockmap_proxy* s = sockmap_proxy__open();
  if (!s) throw_load_error(who, "opening the BPF object", errno);
  st_->skel.s = s;
  s->rodata->break_key = cfg.test_break_key;
  // Two sockets per connection in each map. max_connections bounds each proxy; several proxies
  // (ports) share the maps, and an insertion into a full map is a counted gate error.
  uint32_t entries = std::max<uint32_t>(64, 2 * cfg.max_connections);
  int err = 0;
  for (bpf_map* m : {s->maps.peer_of, s->maps.gate, s->maps.conn_bytes, s->maps.targets, s->maps.target_of,
                     s->maps.armed})
    if (!err) err = bpf_map__set_max_entries(m, entries);
  // Only the mode's own programs are loaded.
  bpf_program* verdict = mode_ == ProxyMode::relay ? s->progs.relay_ingress_verdict : s->progs.egress_redirect_verdict;
  const bool relay = mode_ == ProxyMode::relay;
  for (bpf_program* p : {s->progs.egress_redirect_verdict, s->progs.relay_ingress_verdict, s->progs.relay_sockops})
    if (!err) err = bpf_program__set_autoload(p, p == verdict || (relay && p != s->progs.egress_redirect_verdict));
  if (!err) err = sockmap_proxy__load(s);
  if (err) throw_load_error(who, "loading the BPF programs", err);
  if (!st_->verdict.attach(bpf_program__fd(verdict), bpf_map__fd(s->maps.gate), BPF_SK_SKB_STREAM_VERDICT))
    throw_load_error(who, "attaching the stream verdict to the gate sockhash", errno);
  if (mode_ != ProxyMode::relay) return;
  const std::string cg = run_cgroup_path(cfg.run_id, "relay", who);
  st_->cgroup = std::make_unique<CgroupDir>(cg);
  if (!st_->sockops.attach(s->progs.relay_sockops, st_->cgroup->fd()))
    throw_load_error(who, "attaching sockops to " + cg, errno);
}

TcpProxy::~TcpProxy() = default;

std::string TcpProxy::name() const { return proxy_name(mode_); }

std::vector<int> TcpProxy::proxy_pids() const {
  std::vector<int> pids;
  for (const auto& [port, child] : st_->proxies) pids.push_back(child->pid());
  return pids;
}

ConnectTarget TcpProxy::client_target(const Endpoint& server, uint16_t port) const {
  const TcpProxyConfig& cfg = st_->cfg;
  if (cfg.test_bypass) return {server.addr, port};
  uint32_t proxy_port = uint32_t(port) + cfg.port_offset;
  if (proxy_port > 65535)
    throw RunError(fmt::format("{}: port {} + port_offset {} is beyond 65535", name(), port, cfg.port_offset));
  if (st_->proxies.count(port)) return {server.addr, uint16_t(proxy_port)};

  ProxyLoopConfig lc;
  lc.mode = mode_;
  lc.listen = to_sockaddr(server.addr, uint16_t(proxy_port), &lc.listen_len);
  lc.upstream = to_sockaddr(server.addr, port, &lc.upstream_len);
  lc.buffer_bytes = cfg.buffer_bytes;
  lc.max_connections = cfg.max_connections;
  lc.timeout_ms = int(cfg.ready_timeout.count());
  lc.max_lifetime_s = cfg.max_lifetime_s;
  lc.counters = st_->shm.p;
  if (uses_bpf(mode_)) {
    lc.targets_fd = bpf_map__fd(st_->skel.s->maps.targets);
    lc.target_of_fd = bpf_map__fd(st_->skel.s->maps.target_of);
    lc.armed_fd = bpf_map__fd(st_->skel.s->maps.armed);
    lc.guard_fd = bpf_map__fd(st_->skel.s->maps.memory_guard);
    lc.memory_floor = cfg.memory_floor;
    lc.peer_map_fd = bpf_map__fd(st_->skel.s->maps.peer_of);
    lc.gate_map_fd = bpf_map__fd(st_->skel.s->maps.gate);
    lc.conn_bytes_fd = bpf_map__fd(st_->skel.s->maps.conn_bytes);
    lc.counters_map_fd = bpf_map__fd(st_->skel.s->maps.counters);
    lc.test_gate_delay_ms = cfg.test_gate_delay_ms;
  }
  ChildSpec spec;
  spec.role = fmt::format("{} :{}", name(), proxy_port);
  spec.ns = server.ns;
  spec.cpu = cfg.cpu;
  spec.body = [lc](ChildChannel& ch) -> nlohmann::json {
    run_proxy(lc, ch);
    return nlohmann::json::object();
  };
  auto child = std::make_unique<ChildProcess>(ChildProcess::spawn(std::move(spec)));
  child->await_ready(Clock::now() + cfg.ready_timeout);
  st_->proxies.emplace(port, std::move(child));
  return {server.addr, uint16_t(proxy_port)};
}

std::string TcpProxy::workload_cgroup() const { return st_->cgroup ? st_->cgroup->path() : std::string(); }

// The relay's readiness barrier, in a workload process: this socket is in `targets` (by its own
// key, with its own cookie) and the relay has gated the socket whose bytes are redirected into
// it (`armed`). Until then the peer's bytes would take the relay's user-space fallback.
void TcpProxy::await_socket(int fd) const {
  if (mode_ != ProxyMode::relay) return;
  const bl_sock_key own = sock_key_of(fd, false);
  const uint64_t cookie = socket_cookie(fd, name());
  const int targets = bpf_map__fd(st_->skel.s->maps.targets), armed = bpf_map__fd(st_->skel.s->maps.armed);
  bool in = false;
  if (poll_with_backoff(
          [&] {
            uint64_t v = 0;
            in = bpf_map_lookup_elem(targets, &own, &v) == 0 && v == cookie;
            return in && bpf_map_lookup_elem(armed, &own, &v) == 0;
          },
          st_->cfg.ready_timeout))
    return;
  throw RunError(fmt::format("{}: socket {}: {} after {} ms", name(), to_string(own),
                             in ? "in the sockhash, but its relay never armed it" : "not in the sockhash",
                             st_->cfg.ready_timeout.count()));
}

Counters TcpProxy::read_counters() const {
  const ProxySharedCounters& s = *st_->shm.p;
  auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  Counters c{
      {"connections", ld(s.connections)},
      {"connect_errors", ld(s.connect_errors)},
      {"c2s_bytes", ld(s.c2s_bytes)},
      {"s2c_bytes", ld(s.s2c_bytes)},
      {"forwarded_bytes", ld(s.c2s_bytes) + ld(s.s2c_bytes)},
      {"user_copied_bytes", ld(s.user_copied_bytes)},
  };
  if (!uses_bpf(mode_)) return c;
  c["pre_gate_bytes"] = ld(s.pre_gate_bytes);
  c["drain_timeouts"] = ld(s.drain_timeouts);
  c["gate_errors"] = ld(s.gate_errors);
  const auto sum = sum_percpu<bl_proxy_verdict_counters>(bpf_map__fd(st_->skel.s->maps.counters), 0, name());
  c["redirected_skbs"] = sum.redirected_skbs;
  c["redirected_bytes"] = sum.redirected_bytes;
  c["misses"] = sum.misses;
  c["miss_bytes"] = sum.miss_bytes;
  c["empty_skbs"] = sum.empty_skbs;
  if (mode_ == ProxyMode::relay) {
    c["memory_guard_trips"] = ld(s.memory_guard_trips);
    c["inserted"] = sum.inserted;
    c["insert_errors"] = sum.insert_errors;
  }
  return c;
}

// Judged over the whole run, not the window: the proxy counts a byte when it hands it to the
// server's socket, the workload when the server application reads it, and what sits in the
// server's receive queue at the window's edges is more than 1% of a short window at small
// message sizes. Over the whole run every byte the receiver read went through the proxy, so the
// proxy's totals (this object lives for exactly one run) must cover them.
Engagement TcpProxy::check_engagement(const WindowCounters& /*window delta*/, const WorkloadResult& r) const {
  return evaluate_proxy_engagement(mode_, read_counters(), r, /*whole_run=*/true);
}

// --- engagement ----------------------------------------------------------------------------

namespace {

uint64_t get(const Counters& c, const char* k) {
  auto it = c.find(k);
  return it == c.end() ? 0 : it->second;
}

std::string pct(double share) { return fmt::format("{:.2f}%", share * 100.0); }

}  // namespace

Engagement evaluate_proxy_engagement(ProxyMode mode, const Counters& delta, const WorkloadResult& r, bool whole_run) {
  const char* who = proxy_name(mode);
  Engagement e;
  e.checked = true;
  uint64_t received = 0;
  for (const auto& s : r.samples)
    if (whole_run || (!s.warmup && !s.cooldown)) received += s.bytes;
  // A stream workload's payload check moves its own bytes through the datapath after the load.
  if (whole_run)
    if (auto it = r.extra.find("payload_check_bytes"); it != r.extra.end()) received += uint64_t(it->second);
  if (received == 0) {
    e.ok = false;
    e.carried_share = 0;
    e.message = fmt::format("{}: the workload received no payload {}, so nothing shows the proxy carried it",
                            who, whole_run ? "in the run" : "in the measured window");
    return e;
  }
  // Carried bytes count both directions and the workload may count one (request/response),
  // so coverage can exceed 1; bytes in flight at the window's edges make 99%, not 100%.
  const bool bpf = uses_bpf(mode);
  if (uint64_t trips = get(delta, "memory_guard_trips")) {
    e.ok = false;
    e.carried_share = 0;
    e.message = fmt::format("{}: the relay stopped redirecting ({} time(s)) because the host ran short of memory: "
                            "the kernel was holding what the sender pushed past the receiver; shorten the "
                            "bulk load or lower its rate", who, trips);
    return e;
  }
  const char* key = bpf ? "redirected_bytes" : "forwarded_bytes";
  uint64_t carried = get(delta, key);
  double coverage = double(carried) / double(received);
  e.carried_share = std::min(1.0, coverage);
  if (coverage < kMinProxyCarriedShare) {
    e.ok = false;
    e.message = fmt::format("{}: {} {} B = {} of the {} B the workload received {}; at least "
                            "{} is required (did the client bypass the proxy?{})",
                            who, bpf ? "BPF redirected" : "the proxy forwarded", carried, pct(coverage), received,
                            whole_run ? "in the run" : "in the window",
                            pct(kMinProxyCarriedShare),
                            bpf ? fmt::format(" verdict misses: {} B", get(delta, "miss_bytes")) : "");
    return e;
  }
  if (!bpf) {
    e.message = fmt::format("{}: forwarded {} B (c2s {} B, s2c {} B) ≥ {} of the {} B received; {} B "
                            "through user memory", who, carried, get(delta, "c2s_bytes"),
                            get(delta, "s2c_bytes"), pct(kMinProxyCarriedShare), received,
                            get(delta, "user_copied_bytes"));
    return e;
  }
  uint64_t copied = get(delta, "user_copied_bytes");
  double copied_share = double(copied) / double(received);
  if (copied_share > kMaxSockmapUserCopyShare) {
    e.ok = false;
    e.message = fmt::format("{}: BPF redirected {} of received bytes, but the proxy's user space copied "
                            "{} B = {} of them (at most {} allowed): verdicts missed ({} B)",
                            who, pct(e.carried_share), copied, pct(copied_share),
                            pct(kMaxSockmapUserCopyShare), get(delta, "miss_bytes"));
    return e;
  }
  e.message = fmt::format("{}: BPF redirected {} B ≥ {} of the {} B received; user space copied {} B; "
                          "{} B were queued before gating", who, carried, pct(kMinProxyCarriedShare), received,
                          copied, get(delta, "pre_gate_bytes"));
  return e;
}

}  // namespace benchlab::bpf
