// The sockmap movers (sockmap_movers.hpp). In the datapath: open the sockmap_proxy object, size
// its maps, load only the mover's own programs, attach the verdict to the gate map (the relay
// then creates its cgroup and attaches sockops to it); teardown in reverse through member
// destructors. In each proxy process: a Pump that gates every connection's sockets and, per
// direction, user space only reads what a verdict missed (the copy fallback) and holds a FIN
// back until the kernel's bytes have reached the far side.
#include "benchlab/bpf/sockmap_movers.hpp"

#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include "benchlab/bpf/sockhash_redirect.hpp"
#include "benchlab/bpf/sockmap_proxy.h"
#include "benchlab/core/clock.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/proxy/tcp_proxy.hpp"
#include "benchlab/proxy/user_space_movers.hpp"
#include "cgroup_dir.hpp"
#include "internal.hpp"
#include "sockmap_proxy.skel.h"

namespace benchlab::bpf {

namespace {

using proxy::Connection;
using proxy::Direction;
using proxy::ProxyCounters;

constexpr size_t kFallbackBufferBytes = 65536;   // per direction, for what a verdict missed
constexpr int kIdleWaitMs = 20;                   // the loop wakes this often to check for misses
constexpr double kMissCheckInterval_s = 0.02;
// relay: a FIN is forwarded once the source's redirected byte count has stood still this long.
constexpr double kRelaySettle_s = 0.02;

// Counters of the sockmap movers' user space, shared by every proxy process of the datapath.
struct alignas(64) SockmapProxyCounters {
  std::atomic<uint64_t> pre_gate_bytes{0};
  std::atomic<uint64_t> drain_timeouts{0};
  std::atomic<uint64_t> gate_errors{0};
  std::atomic<uint64_t> memory_guard_trips{0};   // relay: redirects stopped for lack of memory
};

// The maps a proxy process uses, from the datapath's skeleton (inherited across the fork).
struct Maps {
  int peer_of = -1;       // egress: SOCKHASH cookie → peer socket (redirect target)
  int gate = -1;          // SOCKHASH with the verdict attached
  int conn_bytes = -1;    // HASH cookie → bytes redirected out of / passed to that socket
  int counters = -1;      // PERCPU_ARRAY of bl_proxy_verdict_counters
  int targets = -1;       // relay: SOCKHASH bl_sock_key → workload socket (filled by sockops)
  int target_of = -1;     // relay: HASH relay socket cookie → bl_sock_key in targets
  int armed = -1;         // relay: HASH bl_sock_key → 1 once its relay socket is gated
  int memory_guard = -1;  // relay: ARRAY[1]: 1 stops every redirect
};

// Bytes this socket's TCP has been handed by anyone (user writes or BPF redirects), up to a
// constant: acknowledged plus still queued. Read acked first: bytes moving from the queue to
// acked in between make the sum too small, never too large, so a waiter only waits longer.
uint64_t tcp_handed_bytes(int fd) {
  tcp_info ti{};
  socklen_t len = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return 0;
  int outq = 0;
  if (ioctl(fd, SIOCOUTQ, &outq) != 0) outq = 0;
  return ti.tcpi_bytes_acked + uint64_t(outq > 0 ? outq : 0);
}

int inq_bytes(int fd) {
  int n = 0;
  return ioctl(fd, SIOCINQ, &n) == 0 ? n : 0;
}

class SockmapPump;

// A direction the kernel moves. User space keeps the copy mover's path as the fallback for what
// a verdict missed, and the bookkeeping that holds a FIN or an EOF back until the kernel is done.
class SockmapDirection : public proxy::CopyDirection {
 public:
  SockmapDirection(int src, int dst, bool c2s, ProxyCounters& counters, SockmapPump& pump);
  bool waiting() const override { return drain_deadline_ != 0; }

  uint64_t src_cookie = 0;
  uint64_t dst_handed_base = 0;   // tcp_handed_bytes(dst) when the connection was gated

 protected:
  // recv() said EOF: have we read every byte a verdict passed to this socket? Passed skbs can
  // wait in the psock's backlog while TCP already reports the FIN.
  bool eof_is_final() override;
  bl_proxy_conn_bytes kernel_view() const;
  // A bounded wait for the kernel to catch up; false while it may still do so. After the
  // pump's timeout it gives up, counts a drain timeout, and the caller goes ahead.
  bool waited_enough();
  void stop_waiting() { drain_deadline_ = 0; }

  SockmapPump& pump_;

 private:
  double drain_deadline_ = 0;
};

// proxy-sockmap, before forwarding a FIN: has the destination's TCP been handed every byte BPF
// redirected from the source, plus the fallback bytes user space wrote? Redirected skbs are sent
// from the peer psock's work queue, so they can still be in flight inside the kernel.
class EgressDirection final : public SockmapDirection {
 public:
  using SockmapDirection::SockmapDirection;
  bool fin_may_go() override {
    uint64_t handed = tcp_handed_bytes(dst) - dst_handed_base;
    if (handed >= kernel_view().redirected_bytes + user_written()) return true;
    return waited_enough();
  }
};

// sockmap-skb, before forwarding a FIN: the redirected bytes went into the far end's psock, whose
// backlog holds them while that socket's receive memory is full (retrying a jiffy later) before
// they reach the queue its application reads. A FIN that overtakes them reads as EOF with bytes
// still held. Nothing outside the kernel shows that backlog (and this kernel offers no fentry or
// kprobe to count it), so the FIN waits until the source's redirected count has stood still for
// kRelaySettle_s: enough when the receiver keeps up (request/response, a reader that drains),
// not when a bulk sender has outrun it (see sockmap-skb in `list`).
class RelayDirection final : public SockmapDirection {
 public:
  using SockmapDirection::SockmapDirection;
  bool fin_may_go() override {
    const uint64_t r = kernel_view().redirected_bytes;
    const double now = mono_now_s();
    if (settle_since_ == 0 || r != settle_bytes_) {
      settle_bytes_ = r;
      settle_since_ = now;
    }
    if (now - settle_since_ >= kRelaySettle_s) {
      stop_waiting();
      return true;
    }
    return waited_enough();
  }

  bl_sock_key target{};   // the workload socket src's bytes are redirected into

 private:
  uint64_t settle_bytes_ = 0;
  double settle_since_ = 0;
};

// Both kernel movers' Pump: the readiness barrier at the gate, the fallback once a verdict has
// missed, the cleanup of the per-socket entries.
class SockmapPump : public proxy::Pump {
 public:
  SockmapPump(const proxy::PumpContext& ctx, SockmapProxyCounters& shared, const Maps& maps, int test_gate_delay_ms)
      : counters(*ctx.counters), shared(shared), maps(maps), timeout_ms(ctx.timeout_ms),
        test_gate_delay_ms_(test_gate_delay_ms) {}

  bool open(Connection& c) override { return gate(c); }
  void close(Connection& c) override {
    // Closing a socket removes it from every sockmap; the per-socket byte counts are ours.
    for (auto& d : c.d)
      if (d && as_sockmap(*d).src_cookie) {
        bpf_map_delete_elem(maps.conn_bytes, &as_sockmap(*d).src_cookie);
        forget(*d);
      }
  }
  // EPOLLRDHUP only while no verdict has missed: TCP's data-ready wake-up carries EPOLLIN, and
  // BPF's redirects would otherwise wake the proxy for every batch of bytes it never sees. The
  // FIN's state-change wake-up carries no mask, so EOF still arrives.
  uint32_t input_events() const override { return fallback_ ? EPOLLIN | EPOLLRDHUP : EPOLLRDHUP; }
  bool moves_at_accept() const override { return false; }   // queued bytes are BPF's (gate)
  int idle_wait_ms() const override { return kIdleWaitMs; }
  bool after_wakeup(double now) override {
    if (now < next_check_) return false;
    next_check_ = now + kMissCheckInterval_s;
    periodic();
    return check_misses();
  }

  ProxyCounters& counters;
  SockmapProxyCounters& shared;
  const Maps maps;
  const int timeout_ms;

 protected:
  static SockmapDirection& as_sockmap(Direction& d) { return static_cast<SockmapDirection&>(d); }
  // The mover's steps of the gate: before any map entry (name targets), per direction into the
  // redirect table (throws SystemError), and once the verdict runs (arm the barrier).
  virtual void before_link(Connection&) {}
  virtual void link(SockmapDirection& d) = 0;
  virtual void arm(SockmapDirection&) {}
  // A closing direction's own entries go.
  virtual void forget(Direction&) {}
  // The mover's periodic work besides the miss check.
  virtual void periodic() {}

 private:
  // The readiness barrier. Both sockets go into the redirect table (no program) first; only then
  // into gate, which starts the verdict on each — so no verdict ever runs before its peer is
  // there, and until then the client's (and the server's) bytes wait in the sockets' TCP receive
  // queues, untouched. Bytes queued there before gating would otherwise wait for the next
  // arrival to wake the verdict (a request/response exchange could stall on them): setting
  // SO_RCVLOWAT makes TCP call the socket's data_ready, now the verdict's, which takes the whole
  // queue in order. They are counted as pre_gate_bytes and carried by BPF like the rest; user
  // space never reads them.
  bool gate(Connection& c) {
    if (test_gate_delay_ms_ > 0) usleep(useconds_t(test_gate_delay_ms_) * 1000);
    try {
      for (auto& d : c.d) as_sockmap(*d).src_cookie = socket_cookie(d->src, "proxy");
      // Queued bytes are measured before the sockets get a psock: from then on SIOCINQ
      // reports the psock's queue, not TCP's. Bytes arriving after this are not counted here.
      uint64_t queued = 0;
      for (auto& d : c.d) queued += uint64_t(inq_bytes(d->src));
      const bl_proxy_conn_bytes zero{};
      before_link(c);
      for (auto& d : c.d) {
        SockmapDirection& s = as_sockmap(*d);
        link(s);
        if (bpf_map_update_elem(maps.conn_bytes, &s.src_cookie, &zero, BPF_ANY) != 0)
          throw SystemError("conn_bytes update", errno);
        s.dst_handed_base = tcp_handed_bytes(s.dst);
      }
      for (auto& d : c.d) {
        uint64_t self = uint64_t(d->src);
        if (bpf_map_update_elem(maps.gate, &as_sockmap(*d).src_cookie, &self, BPF_NOEXIST) != 0)
          throw SystemError("gate update", errno);
      }
      shared.pre_gate_bytes.fetch_add(queued, std::memory_order_relaxed);
      for (auto& d : c.d) {
        int one = 1;
        setsockopt(d->src, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
      }
      for (auto& d : c.d) arm(as_sockmap(*d));
      return true;
    } catch (const SystemError&) {
      shared.gate_errors.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  }

  // Once any verdict has missed, every socket is watched for fallback data: true the first time.
  bool check_misses() {
    if (fallback_ || maps.counters < 0) return false;
    uint64_t misses = 0;
    try {
      misses = sum_percpu<bl_proxy_verdict_counters>(maps.counters, 0, "proxy").misses;
    } catch (const SystemError&) {
      return false;   // unreadable now: the next wake-up asks again
    }
    if (misses == 0) return false;
    fallback_ = true;
    return true;
  }

  const int test_gate_delay_ms_;
  bool fallback_ = false;   // a verdict missed, so sockets are watched for data
  double next_check_ = 0;
};

SockmapDirection::SockmapDirection(int src, int dst, bool c2s, ProxyCounters& counters, SockmapPump& pump)
    : CopyDirection(src, dst, c2s, counters, kFallbackBufferBytes), pump_(pump) {}

bl_proxy_conn_bytes SockmapDirection::kernel_view() const {
  bl_proxy_conn_bytes v{};
  bpf_map_lookup_elem(pump_.maps.conn_bytes, &src_cookie, &v);
  return v;
}

bool SockmapDirection::waited_enough() {
  double now = mono_now_s();
  if (drain_deadline_ == 0) drain_deadline_ = now + pump_.timeout_ms / 1000.0;
  if (now < drain_deadline_) {
    pump_.request_quick_poll();
    return false;
  }
  pump_.shared.drain_timeouts.fetch_add(1, std::memory_order_relaxed);
  drain_deadline_ = 0;
  return true;
}

bool SockmapDirection::eof_is_final() {
  if (user_read() >= kernel_view().passed_bytes) return true;
  return waited_enough();
}

// proxy-sockmap: each socket's skbs go to its peer's egress (peer_of).
class EgressRedirectPump final : public SockmapPump {
 public:
  using SockmapPump::SockmapPump;
  std::unique_ptr<Direction> direction(int src, int dst, bool c2s) override {
    return std::make_unique<EgressDirection>(src, dst, c2s, counters, *this);
  }

 private:
  void link(SockmapDirection& d) override {
    uint64_t peer = uint64_t(d.dst);
    if (bpf_map_update_elem(maps.peer_of, &d.src_cookie, &peer, BPF_NOEXIST) != 0)
      throw SystemError("peer_of update", errno);
  }
};

// sockmap-skb: each relay socket's skbs go into the workload socket at the far end (target_of),
// and the workload's sockets pass their barrier once their relay socket is gated (armed).
class IngressRelayPump final : public SockmapPump {
 public:
  IngressRelayPump(const proxy::PumpContext& ctx, SockmapProxyCounters& shared, const Maps& maps,
                   int test_gate_delay_ms, double memory_floor)
      : SockmapPump(ctx, shared, maps, test_gate_delay_ms), memory_floor_(memory_floor) {}
  std::unique_ptr<Direction> direction(int src, int dst, bool c2s) override {
    return std::make_unique<RelayDirection>(src, dst, c2s, counters, *this);
  }

 private:
  static RelayDirection& as_relay(Direction& d) { return static_cast<RelayDirection&>(d); }

  // The workload socket each relay socket's bytes go into is the peer of the relay's other
  // socket (d[0], from the client: the server's socket; d[1]: the client's). sockops puts it
  // into `targets` when its handshake completes, which for the server's socket can trail our
  // connect() by a moment: wait for both, bounded.
  void before_link(Connection& c) override {
    for (auto& d : c.d) as_relay(*d).target = sock_key_of(d->dst, /*peer=*/true);
    const double deadline = mono_now_s() + timeout_ms / 1000.0;
    for (auto& d : c.d) {
      const bl_sock_key& target = as_relay(*d).target;
      uint64_t cookie = 0;
      while (bpf_map_lookup_elem(maps.targets, &target, &cookie) != 0) {
        if (mono_now_s() >= deadline)
          throw SystemError("relay: workload socket " + to_string(target) + " never entered the sockhash", ETIMEDOUT);
        usleep(50);
      }
    }
  }
  void link(SockmapDirection& d) override {
    if (bpf_map_update_elem(maps.target_of, &d.src_cookie, &as_relay(d).target, BPF_NOEXIST) != 0)
      throw SystemError("target_of update", errno);
  }
  // The workload sockets' barrier opens once their bytes will be redirected.
  void arm(SockmapDirection& d) override {
    const uint64_t one = 1;
    if (bpf_map_update_elem(maps.armed, &as_relay(d).target, &one, BPF_ANY) != 0)
      throw SystemError("armed update", errno);
  }
  void forget(Direction& d) override {
    bpf_map_delete_elem(maps.target_of, &as_sockmap(d).src_cookie);
    bpf_map_delete_elem(maps.armed, &as_relay(d).target);
  }

  // The memory guard. A bulk sender outruns an ingress-redirect receiver and the kernel keeps
  // the difference (measured here: ~0.4 GB per second of load); before that can starve the
  // host, every redirect stops (the verdict passes to TCP, whose flow control holds the sender
  // back) and the run fails its engagement check with the reason.
  void periodic() override {
    if (guard_tripped_ || maps.memory_guard < 0) return;
    FILE* f = std::fopen("/proc/meminfo", "re");
    if (!f) return;
    unsigned long long total = 0, avail = 0, v = 0;
    char line[128];
    while (std::fgets(line, sizeof line, f)) {
      if (std::sscanf(line, "MemTotal: %llu", &v) == 1) total = v;
      if (std::sscanf(line, "MemAvailable: %llu", &v) == 1) avail = v;
    }
    std::fclose(f);
    if (total == 0 || double(avail) >= memory_floor_ * double(total)) return;
    const uint32_t zero = 0, one = 1;
    if (bpf_map_update_elem(maps.memory_guard, &zero, &one, BPF_ANY) != 0) return;
    guard_tripped_ = true;
    shared.memory_guard_trips.fetch_add(1, std::memory_order_relaxed);
  }

  const double memory_floor_;
  bool guard_tripped_ = false;   // this proxy stopped the redirects
};

// --- the datapath's side ---------------------------------------------------------------------

// What both movers hold for the run, in creation order (destroyed in reverse, the teardown
// order): the shared counters, the skeleton, the verdict attached to the gate map.
class SockmapMover : public proxy::Mover {
 public:
  // Loads `programs` (the verdict first) and nothing else of the object.
  SockmapMover(std::string name, const SockmapMoverConfig& cfg,
               const std::function<std::vector<bpf_program*>(sockmap_proxy*)>& programs)
      : Mover(std::move(name)), cfg_(cfg) {
    const std::string& who = this->name();
    install_libbpf_log();
    sockmap_proxy* s = sockmap_proxy__open();
    if (!s) {
      const int e = errno;
      throw_load_error(who, "opening the BPF object", e);
    }
    skel_.s = s;
    s->rodata->break_key = cfg.test_break_key;
    // Two sockets per connection in each map. max_connections bounds each proxy; several proxies
    // (ports) share the maps, and an insertion into a full map is a counted gate error.
    uint32_t entries = std::max<uint32_t>(64, 2 * cfg.max_connections);
    int err = 0;
    for (bpf_map* m : {s->maps.peer_of, s->maps.gate, s->maps.conn_bytes, s->maps.targets, s->maps.target_of,
                       s->maps.armed})
      if (!err) err = bpf_map__set_max_entries(m, entries);
    const std::vector<bpf_program*> own = programs(s);
    bpf_program* p = nullptr;
    while (!err && (p = bpf_object__next_program(s->obj, p)))
      err = bpf_program__set_autoload(p, std::find(own.begin(), own.end(), p) != own.end());
    if (!err) err = sockmap_proxy__load(s);
    if (err) throw_load_error(who, "loading the BPF programs", err);
    if (!verdict_.attach(bpf_program__fd(own.front()), bpf_map__fd(s->maps.gate), BPF_SK_SKB_STREAM_VERDICT)) {
      const int e = errno;
      throw_load_error(who, "attaching the stream verdict to the gate sockhash", e);
    }
  }

  void add_counters(Counters& c) const override {
    auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    c["pre_gate_bytes"] = ld(shared_->pre_gate_bytes);
    c["drain_timeouts"] = ld(shared_->drain_timeouts);
    c["gate_errors"] = ld(shared_->gate_errors);
    const auto sum = verdict_counters();
    c["redirected_skbs"] = sum.redirected_skbs;
    c["redirected_bytes"] = sum.redirected_bytes;
    c["misses"] = sum.misses;
    c["miss_bytes"] = sum.miss_bytes;
    c["empty_skbs"] = sum.empty_skbs;
  }

 protected:
  bl_proxy_verdict_counters verdict_counters() const {
    return sum_percpu<bl_proxy_verdict_counters>(bpf_map__fd(skel_.s->maps.counters), 0, name());
  }
  Maps maps() const {
    const auto& m = skel_.s->maps;
    return {.peer_of = bpf_map__fd(m.peer_of), .gate = bpf_map__fd(m.gate), .conn_bytes = bpf_map__fd(m.conn_bytes),
            .counters = bpf_map__fd(m.counters), .targets = bpf_map__fd(m.targets),
            .target_of = bpf_map__fd(m.target_of), .armed = bpf_map__fd(m.armed),
            .memory_guard = bpf_map__fd(m.memory_guard)};
  }
  sockmap_proxy* skel() const { return skel_.s; }

  const SockmapMoverConfig cfg_;
  proxy::SharedBlock<SockmapProxyCounters> shared_;

 private:
  struct Skeleton {
    sockmap_proxy* s = nullptr;
    ~Skeleton() {
      if (s) sockmap_proxy__destroy(s);
    }
  };
  Skeleton skel_;
  MapProgAttachment verdict_;
};

class EgressRedirectMover final : public SockmapMover {
 public:
  EgressRedirectMover(std::string name, const SockmapMoverConfig& cfg)
      : SockmapMover(std::move(name), cfg,
                     [](sockmap_proxy* s) { return std::vector<bpf_program*>{s->progs.egress_redirect_verdict}; }) {}
  std::unique_ptr<proxy::Pump> make_pump(const proxy::PumpContext& ctx) const override {
    return std::make_unique<EgressRedirectPump>(ctx, *shared_, maps(), cfg_.test_gate_delay_ms);
  }
  proxy::CarryProof proof() const override { return egress_redirect_proof(); }
};

class IngressRelayMover final : public SockmapMover {
 public:
  IngressRelayMover(std::string name, const SockmapMoverConfig& cfg)
      : SockmapMover(std::move(name), cfg, [](sockmap_proxy* s) {
          return std::vector<bpf_program*>{s->progs.relay_ingress_verdict, s->progs.relay_sockops};
        }) {
    const std::string cg = run_cgroup_path(cfg.run_id, "relay", this->name());
    cgroup_ = std::make_unique<CgroupDir>(cg);
    if (!sockops_.attach(skel()->progs.relay_sockops, cgroup_->fd())) {
      const int e = errno;
      throw_load_error(this->name(), "attaching sockops to " + cg, e);
    }
  }

  std::unique_ptr<proxy::Pump> make_pump(const proxy::PumpContext& ctx) const override {
    return std::make_unique<IngressRelayPump>(ctx, *shared_, maps(), cfg_.test_gate_delay_ms, cfg_.memory_floor);
  }
  std::string workload_cgroup() const override { return cgroup_->path(); }

  // The relay's readiness barrier, in a workload process: this socket is in `targets` (by its
  // own key, with its own cookie) and the relay has gated the socket whose bytes are redirected
  // into it (`armed`). Until then the peer's bytes would take the relay's user-space fallback.
  void await_socket(int fd) const override {
    const bl_sock_key own = sock_key_of(fd, false);
    const uint64_t cookie = socket_cookie(fd, name());
    const int targets = bpf_map__fd(skel()->maps.targets), armed = bpf_map__fd(skel()->maps.armed);
    bool in = false;
    if (poll_with_backoff(
            [&] {
              uint64_t v = 0;
              in = bpf_map_lookup_elem(targets, &own, &v) == 0 && v == cookie;
              return in && bpf_map_lookup_elem(armed, &own, &v) == 0;
            },
            cfg_.ready_timeout))
      return;
    throw RunError(fmt::format("{}: socket {}: {} after {} ms", name(), to_string(own),
                               in ? "in the sockhash, but its relay never armed it" : "not in the sockhash",
                               cfg_.ready_timeout.count()));
  }

  void add_counters(Counters& c) const override {
    SockmapMover::add_counters(c);
    const auto sum = verdict_counters();
    c["memory_guard_trips"] = shared_->memory_guard_trips.load(std::memory_order_relaxed);
    c["inserted"] = sum.inserted;
    c["insert_errors"] = sum.insert_errors;
  }
  proxy::CarryProof proof() const override { return ingress_relay_proof(); }

 private:
  std::unique_ptr<CgroupDir> cgroup_;   // the workload's cgroup, with sockops attached
  CgroupLinkAttachment sockops_;
};

std::string memory_guard_veto(const std::string& who, const Counters& c) {
  const uint64_t trips = counter_or_zero(c, "memory_guard_trips");
  if (trips == 0) return {};
  return fmt::format("{}: the relay stopped redirecting ({} time(s)) because the host ran short of memory: "
                     "the kernel was holding what the sender pushed past the receiver; shorten the "
                     "bulk load or lower its rate", who, trips);
}

}  // namespace

proxy::CarryProof egress_redirect_proof() {
  return {.carried_counter = "redirected_bytes",
          .carried_by = "BPF redirected",
          .max_user_copy_share = proxy::kMaxKernelUserCopyShare,
          .details = {"user_copied_bytes", "miss_bytes", "pre_gate_bytes"}};
}

proxy::CarryProof ingress_relay_proof() {
  proxy::CarryProof p = egress_redirect_proof();
  p.veto = memory_guard_veto;
  return p;
}

std::unique_ptr<proxy::Mover> make_egress_redirect_mover(std::string name, const SockmapMoverConfig& cfg) {
  return std::make_unique<EgressRedirectMover>(std::move(name), cfg);
}

std::unique_ptr<proxy::Mover> make_ingress_relay_mover(std::string name, const SockmapMoverConfig& cfg) {
  return std::make_unique<IngressRelayMover>(std::move(name), cfg);
}

}  // namespace benchlab::bpf
