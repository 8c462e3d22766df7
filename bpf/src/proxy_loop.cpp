// One level-triggered epoll loop serves the three proxies. A connection is two sockets and two
// directions (client→server, server→client); each direction moves bytes from its source to its
// destination with the proxy's mover:
//   copy     read() into a per-direction buffer, write() out of it (partial writes kept)
//   splice   splice() socket → pipe → socket, SPLICE_F_MOVE | SPLICE_F_NONBLOCK
//   sockmap  the kernel moves the bytes (BPF redirect to the peer's egress); user space only
//            reads what a verdict miss left on a socket (copy mover, counted as user-copied)
//            and watches for EOF
//   relay    (sockmap-skb) as sockmap, but the verdict redirects into the ingress queue of the
//            workload socket at the far end (the peer of the proxy's other socket)
// A source's EOF becomes shutdown(SHUT_WR) on the destination once everything before it has
// gone out (half-close); a connection is closed when both directions have done that, or at
// once on an error.
#include "proxy_loop.hpp"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <list>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include "benchlab/core/child.hpp"
#include "benchlab/bpf/sockhash_redirect.hpp"
#include "benchlab/bpf/sockmap_proxy.h"
#include "benchlab/core/error.hpp"
#include "benchlab/core/socket_options.hpp"
#include "internal.hpp"

namespace benchlab::bpf {

namespace {

constexpr int kMaxRoundsPerEvent = 16;   // per direction per wake-up, so no flow starves others
// relay: a FIN is forwarded once the source's redirected byte count has stood still this long.
constexpr double kRelaySettle_s = 0.02;

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

struct Direction {
  int src = -1, dst = -1;
  bool c2s = true;
  std::vector<char> buf;                 // copy / sockmap fallback
  size_t head = 0, tail = 0;
  int pipe_r = -1, pipe_w = -1;          // splice
  size_t in_pipe = 0;
  bool src_eof = false;                  // the source sent FIN (read/splice returned 0)
  bool shut = false;                     // FIN forwarded: shutdown(dst, SHUT_WR) done
  // sockmap: when src_eof, the FIN waits until dst's TCP has every byte BPF redirected.
  uint64_t src_cookie = 0;
  uint64_t dst_handed_base = 0;          // tcp_handed_bytes(dst) when the connection was gated
  uint64_t user_written = 0;             // fallback bytes user space wrote to dst
  uint64_t user_read = 0;                // fallback bytes user space read from src
  double drain_deadline = 0;
  // relay: the workload socket src's bytes are redirected into, and the settle watch.
  bl_sock_key target{};
  uint64_t settle_bytes = 0;
  double settle_since = 0;

  bool pending_out() const { return tail > head || in_pipe > 0; }
  bool wants_in(uint32_t cap) const {
    if (src_eof) return false;
    if (pipe_w >= 0) return in_pipe < cap;
    return tail < cap;
  }
};

struct Conn {
  int cfd = -1, ufd = -1;
  Direction d[2];                        // [0] client→server, [1] server→client
  uint32_t ev_c = 0, ev_u = 0;           // registered epoll interest
  bool reg_c = false, reg_u = false;     // added to the epoll set
  bool dead = false;
};

class Proxy {
 public:
  explicit Proxy(const ProxyLoopConfig& cfg) : cfg_(cfg), c_(*cfg.counters) {}

  ~Proxy() {
    for (auto& c : conns_) close_conn(c);
    if (ep_ >= 0) ::close(ep_);
    if (lfd_ >= 0) ::close(lfd_);
  }

  void run(ChildChannel& ch) {
    const double end = mono_now_s() + cfg_.max_lifetime_s;
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw SystemError("epoll_create1", errno);
    listen_now();
    ch.ready();
    std::vector<epoll_event> evs(256);
    for (;;) {
      double now = mono_now_s();
      if (now >= end) return;
      int timeout_ms = draining_ ? 1 : int(std::min(uses_bpf(cfg_.mode) ? 20.0 : 100.0, (end - now) * 1000) + 1);
      int n = epoll_wait(ep_, evs.data(), int(evs.size()), timeout_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw SystemError("epoll_wait", errno);
      for (int i = 0; i < n; ++i) {
        if (evs[size_t(i)].data.ptr == nullptr) {
          accept_all();
          continue;
        }
        auto* c = static_cast<Conn*>(evs[size_t(i)].data.ptr);
        if (c->dead) continue;
        service(*c, evs[size_t(i)].events);
      }
      if (uses_bpf(cfg_.mode) && now >= next_miss_check_) {
        next_miss_check_ = now + 0.02;
        check_memory();
        check_misses();
      }
      if (draining_) {
        draining_ = false;
        for (auto& c : conns_)
          if (!c.dead) service(c, 0);
      }
      conns_.remove_if([](const Conn& c) { return c.dead; });
    }
  }

 private:
  void listen_now() {
    lfd_ = ::socket(cfg_.listen.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd_ < 0) throw SystemError("proxy: socket", errno);
    int one = 1;
    setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(lfd_, reinterpret_cast<const sockaddr*>(&cfg_.listen), cfg_.listen_len) != 0)
      throw SystemError("proxy: bind", errno);
    if (::listen(lfd_, 1024) != 0) throw SystemError("proxy: listen", errno);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, lfd_, &ev) != 0) throw SystemError("epoll_ctl(listen)", errno);
  }

  void accept_all() {
    for (;;) {
      int cfd = accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (cfd < 0 && errno == EINTR) continue;
      if (cfd < 0) return;   // EAGAIN, or a connection reset before we took it
      if (conns_.size() >= cfg_.max_connections) {
        c_.connect_errors.fetch_add(1, std::memory_order_relaxed);
        ::close(cfd);
        continue;
      }
      int ufd = connect_upstream();
      if (ufd < 0) {
        c_.connect_errors.fetch_add(1, std::memory_order_relaxed);
        ::close(cfd);
        continue;
      }
      set_tcp_nodelay(cfd);   // best effort: the proxy works without it, only slower
      set_tcp_nodelay(ufd);
      conns_.emplace_back();
      Conn& c = conns_.back();
      c.cfd = cfd;
      c.ufd = ufd;
      if (!setup(c)) {
        close_conn(c);
        conns_.pop_back();
        continue;
      }
      c_.connections.fetch_add(1, std::memory_order_relaxed);
      update_interest(c);
      // Anything the client sent before we got here (copy, splice) is already readable.
      if (!uses_bpf(cfg_.mode)) service(c, 0);
    }
  }

  // Nonblocking connect, waited for with a bound: a dead server must not hang the proxy.
  int connect_upstream() {
    int fd = ::socket(cfg_.upstream.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&cfg_.upstream), cfg_.upstream_len) == 0) return fd;
    if (errno != EINPROGRESS) {
      ::close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, cfg_.timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  bool setup(Conn& c) {
    c.d[0].src = c.cfd;
    c.d[0].dst = c.ufd;
    c.d[0].c2s = true;
    c.d[1].src = c.ufd;
    c.d[1].dst = c.cfd;
    c.d[1].c2s = false;
    for (auto& d : c.d) {
      if (cfg_.mode == ProxyMode::splice) {
        int p[2];
        if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return false;
        d.pipe_r = p[0];
        d.pipe_w = p[1];
        fcntl(d.pipe_w, F_SETPIPE_SZ, int(cfg_.buffer_bytes));   // best effort (pipe-max-size)
      } else {
        d.buf.resize(uses_bpf(cfg_.mode) ? 65536 : cfg_.buffer_bytes);
      }
    }
    if (uses_bpf(cfg_.mode)) return gate(c);
    return true;
  }

  // The readiness barrier of proxy-sockmap. Both sockets go into peer_of (the redirect table,
  // no program) first; only then into gate, which starts the verdict on each — so no verdict
  // ever runs before its peer is there, and until then the client's (and the server's) bytes
  // wait in the sockets' TCP receive queues, untouched. Bytes queued there before gating would
  // otherwise wait for the next arrival to wake the verdict (a request/response exchange could
  // stall on them): setting SO_RCVLOWAT makes TCP call the socket's data_ready, now the
  // verdict's, which takes the whole queue in order. They are counted as pre_gate_bytes and
  // carried by BPF like the rest; user space never reads them.
  bool gate(Conn& c) {
    if (cfg_.test_gate_delay_ms > 0) usleep(useconds_t(cfg_.test_gate_delay_ms) * 1000);
    try {
      for (auto& d : c.d) d.src_cookie = socket_cookie(d.src, "proxy");
      // Queued bytes are measured before the sockets get a psock: from then on SIOCINQ
      // reports the psock's queue, not TCP's. Bytes arriving after this are not counted here.
      uint64_t queued = 0;
      for (auto& d : c.d) queued += uint64_t(inq_bytes(d.src));
      const bl_proxy_conn_bytes zero{};
      if (cfg_.mode == ProxyMode::relay) name_targets(c);
      for (auto& d : c.d) {
        uint64_t peer = uint64_t(d.dst);
        if (cfg_.mode == ProxyMode::sockmap &&
            bpf_map_update_elem(cfg_.peer_map_fd, &d.src_cookie, &peer, BPF_NOEXIST) != 0)
          throw SystemError("peer_of update", errno);
        if (cfg_.mode == ProxyMode::relay &&
            bpf_map_update_elem(cfg_.target_of_fd, &d.src_cookie, &d.target, BPF_NOEXIST) != 0)
          throw SystemError("target_of update", errno);
        if (bpf_map_update_elem(cfg_.conn_bytes_fd, &d.src_cookie, &zero, BPF_ANY) != 0)
          throw SystemError("conn_bytes update", errno);
        d.dst_handed_base = tcp_handed_bytes(d.dst);
      }
      for (auto& d : c.d) {
        uint64_t self = uint64_t(d.src);
        if (bpf_map_update_elem(cfg_.gate_map_fd, &d.src_cookie, &self, BPF_NOEXIST) != 0)
          throw SystemError("gate update", errno);
      }
      c_.pre_gate_bytes.fetch_add(queued, std::memory_order_relaxed);
      for (auto& d : c.d) {
        int one = 1;
        setsockopt(d.src, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
      }
      // relay: the workload sockets' barrier opens once their bytes will be redirected.
      const uint64_t one = 1;
      for (auto& d : c.d)
        if (cfg_.mode == ProxyMode::relay && bpf_map_update_elem(cfg_.armed_fd, &d.target, &one, BPF_ANY) != 0)
          throw SystemError("armed update", errno);
      return true;
    } catch (const SystemError&) {
      c_.gate_errors.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  }

  void close_conn(Conn& c) {
    if (c.dead) return;
    c.dead = true;
    for (auto& d : c.d) {
      if (d.pipe_r >= 0) ::close(d.pipe_r);
      if (d.pipe_w >= 0) ::close(d.pipe_w);
      d.pipe_r = d.pipe_w = -1;
    }
    // Closing a socket removes it from every sockmap; the per-socket byte counts are ours, and
    // so are the relay's target table entries.
    if (uses_bpf(cfg_.mode))
      for (auto& d : c.d)
        if (d.src_cookie) {
          bpf_map_delete_elem(cfg_.conn_bytes_fd, &d.src_cookie);
          if (cfg_.mode == ProxyMode::relay) {
            bpf_map_delete_elem(cfg_.target_of_fd, &d.src_cookie);
            bpf_map_delete_elem(cfg_.armed_fd, &d.target);
          }
        }
    if (c.cfd >= 0) ::close(c.cfd);
    if (c.ufd >= 0) ::close(c.ufd);
    c.cfd = c.ufd = -1;
  }

  // Level-triggered interest per socket, from what its two directions need. proxy-sockmap
  // asks for EPOLLRDHUP only while no verdict has missed: TCP's data-ready wake-up carries
  // EPOLLIN, and BPF's redirects would otherwise wake the proxy for every batch of bytes it
  // never sees. The FIN's state-change wake-up carries no mask, so EOF still arrives.
  uint32_t want(const Conn& c, int fd) const {
    uint32_t ev = 0;
    for (const auto& d : c.d) {
      uint32_t cap = cfg_.mode == ProxyMode::splice ? cfg_.buffer_bytes : uint32_t(d.buf.size());
      if (d.src == fd && d.wants_in(cap))
        ev |= uses_bpf(cfg_.mode) && !fallback_ ? EPOLLRDHUP : EPOLLIN | EPOLLRDHUP;
      if (d.dst == fd && d.pending_out()) ev |= EPOLLOUT;
    }
    return ev;
  }

  void apply_interest(Conn& c, int fd, uint32_t* cur, bool* reg) {
    uint32_t ev = want(c, fd);
    if (*reg && ev == *cur) return;
    epoll_event e{};
    e.events = ev;
    e.data.ptr = &c;
    if (epoll_ctl(ep_, *reg ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e) == 0) {
      *cur = ev;
      *reg = true;
    }
  }

  void update_interest(Conn& c) {
    apply_interest(c, c.cfd, &c.ev_c, &c.reg_c);
    apply_interest(c, c.ufd, &c.ev_u, &c.reg_u);
  }

  void service(Conn& c, uint32_t events) {
    bool ok = true, progress = false;
    for (auto& d : c.d) {
      int r = pump(d);
      if (r < 0) ok = false;
      if (r > 0) progress = true;
    }
    // Both FINs forwarded, an error, or an error/hang-up that no read or write turned into
    // progress while nothing is left to deliver (bytes buffered, a FIN waiting for a drain).
    bool owed = false;
    for (const auto& d : c.d) owed = owed || d.pending_out() || (d.src_eof && !d.shut) || d.drain_deadline != 0;
    if (!ok || (c.d[0].shut && c.d[1].shut) || (!progress && !owed && (events & (EPOLLERR | EPOLLHUP)))) {
      close_conn(c);
      return;
    }
    update_interest(c);
  }

  // relay: the memory guard. A bulk sender outruns an ingress-redirect receiver and the kernel
  // keeps the difference (measured here: ~0.4 GB per second of load); before that can starve
  // the host, every redirect stops (the verdict passes to TCP, whose flow control holds the
  // sender back) and the run fails its engagement check with the reason.
  void check_memory() {
    if (cfg_.mode != ProxyMode::relay || guard_tripped_ || cfg_.guard_fd < 0) return;
    FILE* f = std::fopen("/proc/meminfo", "re");
    if (!f) return;
    unsigned long long total = 0, avail = 0, v = 0;
    char line[128];
    while (std::fgets(line, sizeof line, f)) {
      if (std::sscanf(line, "MemTotal: %llu", &v) == 1) total = v;
      if (std::sscanf(line, "MemAvailable: %llu", &v) == 1) avail = v;
    }
    std::fclose(f);
    if (total == 0 || double(avail) >= cfg_.memory_floor * double(total)) return;
    const uint32_t zero = 0, one = 1;
    if (bpf_map_update_elem(cfg_.guard_fd, &zero, &one, BPF_ANY) != 0) return;
    guard_tripped_ = true;
    c_.memory_guard_trips.fetch_add(1, std::memory_order_relaxed);
  }

  // proxy-sockmap: once any verdict has missed, watch every socket for fallback data.
  void check_misses() {
    if (!uses_bpf(cfg_.mode) || fallback_ || cfg_.counters_map_fd < 0) return;
    uint64_t misses = 0;
    try {
      misses = sum_percpu<bl_proxy_verdict_counters>(cfg_.counters_map_fd, 0, "proxy").misses;
    } catch (const SystemError&) {
      return;   // unreadable now: the next wake-up asks again
    }
    if (misses == 0) return;
    fallback_ = true;
    for (auto& c : conns_)
      if (!c.dead) service(c, 0);
  }

  // Moves what it can in one direction. Returns -1 on a connection error, 1 on progress, 0 if
  // it would block.
  int pump(Direction& d) {
    if (d.shut) return 0;
    bool progress = false;
    for (int round = 0; round < kMaxRoundsPerEvent; ++round) {
      int r = cfg_.mode == ProxyMode::splice ? splice_once(d) : copy_once(d);
      if (r < 0) return -1;
      if (r == 0) break;
      progress = true;
    }
    if (d.src_eof && !d.pending_out() && !d.shut) {
      if (uses_bpf(cfg_.mode) && !drained(d)) return progress ? 1 : 0;
      ::shutdown(d.dst, SHUT_WR);
      d.shut = true;
      progress = true;
    }
    return progress ? 1 : 0;
  }

  bl_proxy_conn_bytes kernel_view(const Direction& d) const {
    bl_proxy_conn_bytes v{};
    bpf_map_lookup_elem(cfg_.conn_bytes_fd, &d.src_cookie, &v);
    return v;
  }

  // A bounded wait for the kernel to catch up; false while it may still do so. After
  // timeout_ms it gives up, counts a drain timeout, and the caller goes ahead.
  bool waited_enough(Direction& d) {
    double now = mono_now_s();
    if (d.drain_deadline == 0) d.drain_deadline = now + cfg_.timeout_ms / 1000.0;
    if (now < d.drain_deadline) {
      draining_ = true;
      return false;
    }
    c_.drain_timeouts.fetch_add(1, std::memory_order_relaxed);
    d.drain_deadline = 0;
    return true;
  }

  // sockmap, before forwarding a FIN: has the destination's TCP been handed every byte BPF
  // redirected from the source, plus the fallback bytes user space wrote? Redirected skbs are
  // sent from the peer psock's work queue, so they can still be in flight inside the kernel.
  bool drained(Direction& d) {
    if (cfg_.mode == ProxyMode::relay) return settled(d);
    uint64_t handed = tcp_handed_bytes(d.dst) - d.dst_handed_base;
    if (handed >= kernel_view(d).redirected_bytes + d.user_written) return true;
    return waited_enough(d);
  }

  // relay, before forwarding a FIN: the redirected bytes went into the far end's psock, whose
  // backlog holds them while that socket's receive memory is full (retrying a jiffy later)
  // before they reach the queue its application reads. A FIN that overtakes them reads as EOF
  // with bytes still held. Nothing outside the kernel shows that backlog (and this kernel offers
  // no fentry or kprobe to count it), so the FIN waits until the source's redirected count has
  // stood still for kRelaySettle_s: enough when the receiver keeps up (request/response, a
  // reader that drains), not when a bulk sender has outrun it (see sockmap-skb in `list`).
  bool settled(Direction& d) {
    const uint64_t r = kernel_view(d).redirected_bytes;
    const double now = mono_now_s();
    if (d.settle_since == 0 || r != d.settle_bytes) {
      d.settle_bytes = r;
      d.settle_since = now;
    }
    if (now - d.settle_since >= kRelaySettle_s) {
      d.drain_deadline = 0;
      return true;
    }
    return waited_enough(d);
  }

  // relay: the workload socket each relay socket's bytes go into is the peer of the relay's
  // other socket (d[0], from the client: the server's socket; d[1]: the client's). sockops puts
  // it into `targets` when its handshake completes, which for the server's socket can trail our
  // connect() by a moment: wait for both, bounded.
  void name_targets(Conn& c) {
    c.d[0].target = sock_key_of(c.ufd, /*peer=*/true);
    c.d[1].target = sock_key_of(c.cfd, /*peer=*/true);
    const double deadline = mono_now_s() + cfg_.timeout_ms / 1000.0;
    for (auto& d : c.d) {
      uint64_t cookie = 0;
      while (bpf_map_lookup_elem(cfg_.targets_fd, &d.target, &cookie) != 0) {
        if (mono_now_s() >= deadline) throw SystemError("relay: workload socket " + to_string(d.target) +
                                                        " never entered the sockhash", ETIMEDOUT);
        usleep(50);
      }
    }
  }

  // sockmap, when recv() says EOF: have we read every byte a verdict passed to this socket?
  // Passed skbs can wait in the psock's backlog while TCP already reports the FIN.
  bool really_eof(Direction& d) {
    if (d.user_read >= kernel_view(d).passed_bytes) return true;
    return waited_enough(d);
  }

  void count(const Direction& d, uint64_t n, bool through_user_memory) {
    (d.c2s ? c_.c2s_bytes : c_.s2c_bytes).fetch_add(n, std::memory_order_relaxed);
    if (through_user_memory) c_.user_copied_bytes.fetch_add(n, std::memory_order_relaxed);
  }

  // read() into the buffer, write() out of it. Returns -1 error, 1 progress, 0 would block.
  int copy_once(Direction& d) {
    bool progress = false;
    if (!d.src_eof && d.tail < d.buf.size()) {
      ssize_t n = ::recv(d.src, d.buf.data() + d.tail, d.buf.size() - d.tail, MSG_DONTWAIT);
      if (n > 0) {
        d.tail += size_t(n);
        d.user_read += uint64_t(n);
        progress = true;
      } else if (n == 0) {
        if (uses_bpf(cfg_.mode) && !really_eof(d)) return 0;
        d.src_eof = true;
        progress = true;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return -1;
      }
    }
    if (d.tail > d.head) {
      ssize_t n = ::send(d.dst, d.buf.data() + d.head, d.tail - d.head, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        d.head += size_t(n);
        d.user_written += uint64_t(n);
        count(d, uint64_t(n), true);
        if (d.head == d.tail) d.head = d.tail = 0;
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return -1;
      }
    }
    return progress ? 1 : 0;
  }

  int splice_once(Direction& d) {
    bool progress = false;
    const unsigned flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
    if (!d.src_eof && d.in_pipe < cfg_.buffer_bytes) {
      ssize_t n = ::splice(d.src, nullptr, d.pipe_w, nullptr, cfg_.buffer_bytes - d.in_pipe, flags);
      if (n > 0) {
        d.in_pipe += size_t(n);
        progress = true;
      } else if (n == 0) {
        d.src_eof = true;
        progress = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        return -1;
      }
    }
    if (d.in_pipe > 0) {
      ssize_t n = ::splice(d.pipe_r, nullptr, d.dst, nullptr, d.in_pipe, flags);
      if (n > 0) {
        d.in_pipe -= size_t(n);
        count(d, uint64_t(n), false);
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return -1;
      }
    }
    return progress ? 1 : 0;
  }

  const ProxyLoopConfig& cfg_;
  ProxySharedCounters& c_;
  int ep_ = -1, lfd_ = -1;
  std::list<Conn> conns_;   // stable addresses: epoll events carry Conn*
  bool draining_ = false;   // a half-close waits for BPF's bytes: poll every millisecond
  bool fallback_ = false;   // sockmap: a verdict missed, so sockets are watched for data
  double next_miss_check_ = 0;
  bool guard_tripped_ = false;   // relay: this proxy stopped the redirects
};

}  // namespace

void run_proxy(const ProxyLoopConfig& cfg, ChildChannel& ch) {
  Proxy p(cfg);
  p.run(ch);
}

}  // namespace benchlab::bpf
