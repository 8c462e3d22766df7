// The proxy skeleton: one level-triggered epoll loop, whatever the mover. A connection is two
// sockets and two directions (client→server, server→client); each direction moves its bytes
// with the mover's Direction. A source's EOF becomes shutdown(SHUT_WR) on the destination once
// everything before it has gone out and the mover lets the FIN go (half-close); a connection is
// closed when both directions have done that, or at once on an error.
#include "proxy_loop.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <list>
#include <vector>

#include "benchlab/core/child.hpp"
#include "benchlab/core/clock.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/socket_options.hpp"

namespace benchlab::proxy {

namespace {

class ProxyLoop {
 public:
  ProxyLoop(const ProxyLoopConfig& cfg, Pump& pump) : cfg_(cfg), c_(*cfg.counters), pump_(pump) {}

  ~ProxyLoop() {
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
      int timeout_ms = pump_.quick_poll() ? 1 : int(std::min(double(pump_.idle_wait_ms()), (end - now) * 1000) + 1);
      int n = epoll_wait(ep_, evs.data(), int(evs.size()), timeout_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw SystemError("epoll_wait", errno);
      for (int i = 0; i < n; ++i) {
        if (evs[size_t(i)].data.ptr == nullptr) {
          accept_all();
          continue;
        }
        auto* c = static_cast<Connection*>(evs[size_t(i)].data.ptr);
        if (c->dead) continue;
        service(*c, evs[size_t(i)].events);
      }
      if (pump_.after_wakeup(now)) service_all();
      if (pump_.take_quick_poll()) service_all();
      conns_.remove_if([](const Connection& c) { return c.dead; });
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
      Connection& c = conns_.back();
      c.cfd = cfd;
      c.ufd = ufd;
      if (!setup(c)) {
        close_conn(c);
        conns_.pop_back();
        continue;
      }
      c_.connections.fetch_add(1, std::memory_order_relaxed);
      update_interest(c);
      // Anything the client sent before we got here is already readable.
      if (pump_.moves_at_accept()) service(c, 0);
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

  bool setup(Connection& c) {
    c.d[0] = pump_.direction(c.cfd, c.ufd, true);
    if (!c.d[0]) return false;
    c.d[1] = pump_.direction(c.ufd, c.cfd, false);
    if (!c.d[1]) return false;
    return pump_.open(c);
  }

  void close_conn(Connection& c) {
    if (c.dead) return;
    c.dead = true;
    pump_.close(c);
    for (auto& d : c.d) d.reset();
    if (c.cfd >= 0) ::close(c.cfd);
    if (c.ufd >= 0) ::close(c.ufd);
    c.cfd = c.ufd = -1;
  }

  // Level-triggered interest per socket, from what its two directions need.
  uint32_t want(const Connection& c, int fd) const {
    uint32_t ev = 0;
    for (const auto& d : c.d) {
      if (d->src == fd && !d->src_eof && d->has_room()) ev |= pump_.input_events();
      if (d->dst == fd && d->pending_out()) ev |= EPOLLOUT;
    }
    return ev;
  }

  void apply_interest(Connection& c, int fd, uint32_t* cur, bool* reg) {
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

  void update_interest(Connection& c) {
    apply_interest(c, c.cfd, &c.ev_c, &c.reg_c);
    apply_interest(c, c.ufd, &c.ev_u, &c.reg_u);
  }

  void service(Connection& c, uint32_t events) {
    bool ok = true, progress = false;
    for (auto& d : c.d) {
      int r = pump(*d);
      if (r < 0) ok = false;
      if (r > 0) progress = true;
    }
    // Both FINs forwarded, an error, or an error/hang-up that no read or write turned into
    // progress while nothing is left to deliver (bytes buffered, a FIN not yet forwarded, a
    // bounded wait for the kernel under way).
    bool owed = false;
    for (const auto& d : c.d) owed = owed || d->pending_out() || (d->src_eof && !d->shut) || d->waiting();
    if (!ok || (c.d[0]->shut && c.d[1]->shut) || (!progress && !owed && (events & (EPOLLERR | EPOLLHUP)))) {
      close_conn(c);
      return;
    }
    update_interest(c);
  }

  void service_all() {
    for (auto& c : conns_)
      if (!c.dead) service(c, 0);
  }

  // Moves what it can in one direction, then forwards the source's FIN once nothing is owed
  // before it. Returns -1 on a connection error, 1 on progress, 0 if it would block.
  int pump(Direction& d) {
    if (d.shut) return 0;
    const int r = d.move();
    if (r < 0) return -1;
    bool progress = r > 0;
    if (d.src_eof && !d.pending_out() && !d.shut) {
      if (!d.fin_may_go()) return progress ? 1 : 0;
      ::shutdown(d.dst, SHUT_WR);
      d.shut = true;
      progress = true;
    }
    return progress ? 1 : 0;
  }

  const ProxyLoopConfig& cfg_;
  ProxyCounters& c_;
  Pump& pump_;
  int ep_ = -1, lfd_ = -1;
  std::list<Connection> conns_;   // stable addresses: epoll events carry Connection*
};

}  // namespace

void run_proxy(const ProxyLoopConfig& cfg, Pump& pump, ChildChannel& ch) {
  ProxyLoop loop(cfg, pump);
  loop.run(ch);
}

}  // namespace benchlab::proxy
