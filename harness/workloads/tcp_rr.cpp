// tcp_rr and tcp_crr: request/response latency and transaction rate, like netperf's TCP_RR and
// TCP_CRR. A server child in the server endpoint's namespace answers every request of
// `message_size` bytes with `response_size` bytes; a client child in the client namespace keeps
// exactly one transaction outstanding on each of `flows` connections and records every
// transaction's latency. tcp_rr reuses long-lived connections; tcp_crr opens and closes one per
// transaction. Both ends are single-threaded epoll loops.
//
// Timing: the socket-workload scaffold (socket_pair.hpp) waits until both ends are ready (server
// listening; rr client connected, past the datapath's readiness barrier, greeted by the server),
// then the parent picks t0 a little in the future and sends the timeline (t0, warm-up end, end)
// down a control pipe to each child. The client runs until `end`; a transaction counts in the
// interval and, after the warm-up, in the histogram by the instant its response completes. The
// server runs until the parent says stop.
//
// Failures are data: a client whose connection breaks during the load (the server died, the
// datapath dropped it, a response never came) returns the samples and latencies it has, up to
// the failure, with the reason; so does everything else the scaffold collects.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/socket_options.hpp"
#include "benchlab/core/histogram.hpp"
#include "benchlab/workloads/socket_pair.hpp"
#include "benchlab/workloads/tcp.hpp"
#include "benchlab/workloads/tcp_common.hpp"

namespace benchlab::workloads {
namespace {

enum class RrMode { rr, crr };

constexpr double kServerReadyTimeoutS = 10;
constexpr double kClientReadyTimeoutS = 30;   // connects plus the datapath's barrier for every flow
constexpr double kConnectTimeoutS = 5;
constexpr double kStartLeadS = 0.05;          // t0 is this far after both ends are ready
constexpr double kGraceS = 10;                // past `end`, for results to come back
constexpr double kStallBoundS = kGraceS / 2;  // past `end`, a blocked one-flow recv() gives up
constexpr double kServerIdleBoundS = 120;     // a server never told to start gives up
constexpr uint8_t kHelloByte = 0xB1;          // rr: the server's "this connection is set up"
constexpr size_t kScratchBytes = 256 * 1024;
constexpr int64_t kMaxMessageBytes = 64 << 20;
constexpr uint32_t kMaxFlows = 4096;

struct RrConfig {
  RrMode mode = RrMode::rr;
  const char* name = "tcp_rr";
  SockAddr listen_at;         // server
  uint16_t connect_port = 0;  // option: overrides the port of the datapath's target; 0: none
  SockAddr connect_to;        // client: the server, or a datapath's proxy (set once the server listens)
  uint32_t request_bytes = 0;
  uint32_t response_bytes = 0;
  uint32_t flows = 1;
  bool verify = true;
  double interval_s = 0.5;
};

uint64_t to_ns(double s) { return uint64_t(std::llround(s * 1e9)); }

// Per-interval counts at the receiver of responses. Boundaries step by interval_s from t0 to the
// warm-up end and again from there to the end, so no interval straddles the start of the
// measured window and warm-up samples can be told apart exactly.
class Intervals {
 public:
  Intervals(const Timeline& tl, double interval_s) : t0_(to_ns(tl.t0)), warm_(to_ns(tl.warm_end)), end_(to_ns(tl.end)) {
    const uint64_t step = std::max<uint64_t>(to_ns(interval_s), 1'000'000);
    for (uint64_t t = t0_; t < warm_; t += step) starts_.push_back(t);
    for (uint64_t t = warm_; t < end_; t += step) starts_.push_back(t);
    counts_.resize(starts_.size());
  }
  uint64_t warm_end_ns() const { return warm_; }
  uint64_t end_ns() const { return end_; }

  // Events arrive in time order; the cursor only moves forward.
  IntervalSample* at(uint64_t t) {
    if (t >= end_ || starts_.empty()) return nullptr;
    while (cur_ + 1 < starts_.size() && t >= starts_[cur_ + 1]) ++cur_;
    return &counts_[cur_];
  }
  // The intervals that started before `until` (the instant a run failed: later ones saw nothing).
  nlohmann::json to_json(uint64_t until = UINT64_MAX) const {
    nlohmann::json a = nlohmann::json::array();
    for (size_t i = 0; i < starts_.size() && starts_[i] < until; ++i) {
      const uint64_t stop = i + 1 < starts_.size() ? starts_[i + 1] : end_;
      const auto& c = counts_[i];
      a.push_back({{"start_s", double(starts_[i] - t0_) * 1e-9},
                   {"duration_s", double(stop - starts_[i]) * 1e-9},
                   {"bytes", c.bytes},
                   {"messages", c.messages},
                   {"transactions", c.transactions},
                   {"warmup", starts_[i] < warm_}});
    }
    return a;
  }

 private:
  uint64_t t0_, warm_, end_;
  std::vector<uint64_t> starts_;
  std::vector<IntervalSample> counts_;
  size_t cur_ = 0;
};

// Set by SIGALRM from a StallTimer.
volatile sig_atomic_t g_stalled = 0;

// SIGALRM once at `at_ns` (no SA_RESTART), so a blocking recv() on a connection a stalled datapath
// holds open returns EINTR instead of waiting for the parent to kill the process (samples and
// all); disarmed when it goes. Armed once per run, so nothing is added per transaction.
class StallTimer {
 public:
  explicit StallTimer(uint64_t at_ns) {
    struct sigaction sa{};
    sa.sa_handler = [](int) { g_stalled = 1; };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, nullptr) != 0) throw RunError(fmt::format("sigaction: {}", std::strerror(errno)));
    const uint64_t now = mono_now_ns(), left = at_ns > now ? at_ns - now : 1000;
    itimerval t{};
    t.it_value.tv_sec = time_t(left / 1'000'000'000u);
    t.it_value.tv_usec = suseconds_t(left % 1'000'000'000u / 1000 + 1);
    if (setitimer(ITIMER_REAL, &t, nullptr) != 0) throw RunError(fmt::format("setitimer: {}", std::strerror(errno)));
  }
  ~StallTimer() {
    itimerval off{};
    setitimer(ITIMER_REAL, &off, nullptr);
  }
  StallTimer(const StallTimer&) = delete;
  StallTimer& operator=(const StallTimer&) = delete;
};

// ---------------------------------------------------------------------------------------------
// Client

// One connection with at most one transaction in flight. tcp_crr reuses the slot for a new
// connection after each transaction; `gen` tells its epoll events apart from a closed one's.
struct Flow {
  UniqueFd fd;
  enum class State { connecting, active, draining } state = State::active;
  uint32_t index = 0, gen = 0;
  uint64_t seq = 0;      // transactions completed by this flow (over all its crr connections)
  uint64_t seed = 0;     // the current request's seed (see request_fill)
  uint64_t t_start_ns = 0;
  size_t sent = 0, got = 0;
  bool bad = false;      // the current response differed from the pattern
  bool want_out = false; // EPOLLOUT armed after a short write
};

class RrClient {
 public:
  RrClient(const RrConfig& c, const Datapath& dp)
      : c_(c), dp_(dp), scratch_(kScratchBytes), zeros_(kScratchBytes), nonce_(mono_now_ns() ^ (uint64_t(getpid()) << 32)) {}

  nlohmann::json run(int ctl_fd, ChildChannel& ch) {
    flows_.resize(c_.flows);
    for (uint32_t i = 0; i < c_.flows; ++i) flows_[i].index = i;
    if (c_.mode == RrMode::rr) open_rr_connections();
    ch.ready();

    auto msg = ControlPipe::receive(ctl_fd, mono_now_s() + 2 * kClientReadyTimeoutS);
    if (!msg || msg->kind != ControlPipe::Kind::start) throw RunError("no start from the parent");
    Intervals iv(msg->timeline, c_.interval_s);
    iv_ = &iv;
    sleep_until_mono(msg->timeline.t0);

    const uint64_t start_ns = mono_now_ns();
    std::string failure;
    uint64_t stop_ns = iv.end_ns();
    try {
      if (c_.mode == RrMode::rr) {
        for (auto& f : flows_) {
          ep_.add(f.fd.get(), EPOLLIN, tag(f));
          start_transaction(f, mono_now_ns());
        }
      } else {
        for (auto& f : flows_) start_connection(f);
      }
      if (c_.mode == RrMode::rr && flows_.size() == 1) loop_one_flow(iv.end_ns());
      else loop(iv.end_ns());
    } catch (const std::exception& e) {
      // What was measured up to here is kept, with the reason (failures are data).
      failure = e.what();
      stop_ns = std::min(stop_ns, mono_now_ns());
    }

    const uint64_t window_start = std::max(start_ns, iv.warm_end_ns());
    nlohmann::json out = {{"samples", iv.to_json(stop_ns)},
                          {"latency_ns", hist_.to_json()},
                          {"payload_errors", payload_errors_},
                          {"transactions_total", transactions_total_},
                          {"window_s", stop_ns > window_start ? double(stop_ns - window_start) * 1e-9 : 0.0},
                          {"start_lag_s", double(start_ns - to_ns(msg->timeline.t0)) * 1e-9}};
    if (!failure.empty()) out["failure"] = failure;
    return out;
  }

 private:
  static uint64_t tag(const Flow& f) { return uint64_t(f.index) | (uint64_t(f.gen) << 32); }
  uint32_t mask(const Flow& f) const {
    if (f.state == Flow::State::connecting) return EPOLLOUT;
    return f.want_out ? EPOLLOUT : EPOLLIN;
  }

  // All flows connect in parallel, then each passes the datapath's readiness barrier, then each
  // waits for the server's hello, sent once the server side passed its own barrier: no timed
  // transaction starts before both ends of every connection are carried by the datapath.
  void open_rr_connections() {
    const double deadline = mono_now_s() + kConnectTimeoutS;
    std::vector<bool> pending(flows_.size());
    for (auto& f : flows_) {
      f.fd = tcp_socket(c_.connect_to.family());
      pending[f.index] = !tcp_connect_start(f.fd.get(), c_.connect_to);
    }
    for (auto& f : flows_)
      if (pending[f.index]) tcp_connect_wait(f.fd.get(), c_.connect_to, deadline);
    for (auto& f : flows_) dp_.await_socket(f.fd.get());
    const double hello_deadline = mono_now_s() + kClientReadyTimeoutS;
    for (auto& f : flows_) {
      if (!wait_readable(f.fd.get(), hello_deadline))
        throw RunError(fmt::format("flow {}: no hello from the server in time", f.index));
      uint8_t b = 0;
      ssize_t n = ::recv(f.fd.get(), &b, 1, MSG_DONTWAIT);
      if (n == 0) throw RunError(fmt::format("flow {}: connection closed by the server before the run", f.index));
      if (n < 0) throw RunError(fmt::format("flow {}: recv: {}", f.index, std::strerror(errno)));
      if (b != kHelloByte) throw RunError(fmt::format("flow {}: unexpected hello byte 0x{:02x}", f.index, b));
    }
  }

  void loop(uint64_t end_ns) {
    std::vector<epoll_event> evs(std::min<size_t>(flows_.size() + 1, 1024));
    for (;;) {
      const uint64_t now = mono_now_ns();
      if (now >= end_ns) return;
      const int timeout_ms = int((end_ns - now + 999'999) / 1'000'000);
      int n = epoll_wait(ep_.fd(), evs.data(), int(evs.size()), timeout_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw RunError(fmt::format("epoll_wait: {}", std::strerror(errno)));
      for (int i = 0; i < n; ++i) {
        Flow& f = flows_[uint32_t(evs[i].data.u64)];
        if (uint32_t(evs[i].data.u64 >> 32) != f.gen || !f.fd) continue;   // a closed crr connection
        handle(f, evs[i].events);
      }
    }
  }

  // One connection with one transaction in flight (the common latency case): block in recv()
  // as netperf and sockperf do, instead of epoll_wait() + recv() — one system call less per
  // transaction, and no receive timeout (arming a timer on every sleep costs measurably). The
  // client only ever waits for a response the server owes it; a server that dies closes the
  // connection. A response that never comes would block recv() until the parent kills this
  // process, samples and all: one timer, armed once, interrupts it kStallBoundS after the end.
  void loop_one_flow(uint64_t end_ns) {
    Flow& f = flows_[0];
    const int fd = f.fd.get();
    ep_.del(fd);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
      throw RunError(fmt::format("flow 0: fcntl: {}", std::strerror(errno)));
    StallTimer stall(end_ns + to_ns(kStallBoundS));
    block_recv_ = true;
    while (f.fd && mono_now_ns() < end_ns) {
      if (f.want_out) {   // a short write of a large request: wait until it can go on
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 100);
        f.want_out = false;
        send_request(f);
        continue;
      }
      on_readable(f);
    }
  }

  void handle(Flow& f, uint32_t events) {
    if (f.state == Flow::State::connecting) {
      if (int err = socket_error(f.fd.get()))
        throw RunError(fmt::format("connect {}: {}", c_.connect_to.str(), std::strerror(err)));
      f.state = Flow::State::active;
      // The request goes out right away; a short write re-arms EPOLLOUT inside send_request.
      ep_.mod(f.fd.get(), EPOLLIN, tag(f));
      send_request(f);
      return;
    }
    if ((events & EPOLLOUT) && f.want_out) send_request(f);
    if (f.fd && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(f);
  }

  void start_transaction(Flow& f, uint64_t now) {
    f.sent = f.got = 0;
    f.bad = false;
    f.seed = transaction_seed(nonce_, f.index, f.seq, c_.request_bytes);
    f.t_start_ns = now;
    send_request(f);
  }

  // tcp_crr: a fresh connection per transaction, its latency counted from before socket().
  // No await_socket here: the readiness barrier is meant for long-lived connections, and
  // waiting on it per connection would time the barrier instead of the datapath.
  void start_connection(Flow& f) {
    f.t_start_ns = mono_now_ns();
    f.sent = f.got = 0;
    f.bad = false;
    f.seed = transaction_seed(nonce_, f.index, f.seq, c_.request_bytes);
    f.want_out = false;
    f.fd = tcp_socket(c_.connect_to.family());
    ++f.gen;
    const bool connected = tcp_connect_start(f.fd.get(), c_.connect_to);
    f.state = Flow::State::connecting;
    ep_.add(f.fd.get(), EPOLLOUT, tag(f));
    if (connected) handle(f, EPOLLOUT);
  }

  void send_request(Flow& f) {
    while (f.sent < c_.request_bytes) {
      const size_t chunk = std::min<size_t>(c_.request_bytes - f.sent, kScratchBytes);
      ssize_t n = c_.verify ? send_request_bytes(f.fd.get(), f.seed, f.sent, chunk, MSG_NOSIGNAL | MSG_DONTWAIT)
                            : ::send(f.fd.get(), zeros_.data(), chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        if (!f.want_out) {
          f.want_out = true;
          if (!block_recv_) ep_.mod(f.fd.get(), mask(f), tag(f));
        }
        return;
      }
      if (n < 0) throw RunError(fmt::format("flow {}: send: {}", f.index, std::strerror(errno)));
      f.sent += size_t(n);
    }
    if (f.want_out && !block_recv_) {
      f.want_out = false;
      ep_.mod(f.fd.get(), mask(f), tag(f));
    }
  }

  void on_readable(Flow& f) {
    for (;;) {
      // Draining (crr): the response is complete; only the server's FIN should follow.
      const size_t want = f.state == Flow::State::draining ? kScratchBytes : c_.response_bytes - f.got;
      ssize_t n = ::recv(f.fd.get(), scratch_.data(), std::min(want, kScratchBytes), block_recv_ ? 0 : MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) {
        if (block_recv_ && g_stalled)
          throw RunError(fmt::format("flow {}: no response {:.0f} s after the end of the run", f.index, kStallBoundS));
        continue;
      }
      if (n < 0 && errno == EAGAIN) return;
      const uint64_t t = mono_now_ns();
      if (f.state == Flow::State::draining) {
        if (n > 0) {   // bytes past the response
          if (!f.bad) ++payload_errors_;
          f.bad = true;
          continue;
        }
        // EOF (or a reset) after a complete response: the server closed first, so its side
        // holds the TIME_WAIT and the client's ports are free again at once.
        f.fd.reset();
        if (t < iv_->end_ns()) start_connection(f);
        return;
      }
      if (n == 0) throw RunError(fmt::format("flow {}: connection closed by the server", f.index));
      if (n < 0) throw RunError(fmt::format("flow {}: recv: {}", f.index, std::strerror(errno)));
      if (c_.verify && !f.bad &&
          (f.sent < c_.request_bytes || !pattern_matches(response_seed(f.seed), f.got, scratch_.data(), size_t(n))))
        f.bad = true;
      f.got += size_t(n);
      if (IntervalSample* s = iv_->at(t)) s->bytes += uint64_t(n);
      if (f.got == c_.response_bytes) {
        complete(f, t);
        if (f.state == Flow::State::draining) continue;   // crr: the server's FIN often is here already
        return;
      }
    }
  }

  void complete(Flow& f, uint64_t t) {
    ++transactions_total_;
    if (f.bad) ++payload_errors_;
    if (IntervalSample* s = iv_->at(t)) {
      ++s->transactions;
      ++s->messages;
      if (t >= iv_->warm_end_ns()) hist_.record(t - f.t_start_ns);
    }
    ++f.seq;
    if (c_.mode == RrMode::crr) {
      f.state = Flow::State::draining;
      return;
    }
    if (t < iv_->end_ns()) start_transaction(f, t);
  }

  const RrConfig& c_;
  const Datapath& dp_;
  bool block_recv_ = false;   // loop_one_flow: recv() blocks (bounded by a StallTimer)
  Epoll ep_;
  std::vector<Flow> flows_;
  std::vector<uint8_t> scratch_, zeros_;
  Intervals* iv_ = nullptr;
  uint64_t nonce_;   // makes every transaction's seed unique to this run
  Histogram hist_;
  uint64_t payload_errors_ = 0, transactions_total_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Server

struct ServerConn {
  UniqueFd fd;
  RequestCheck request;
  size_t got = 0, sent = 0;
  bool responding = false;
  bool want_out = false;
};

class RrServer {
 public:
  RrServer(const RrConfig& c, const Datapath& dp) : c_(c), dp_(dp), scratch_(kScratchBytes), zeros_(kScratchBytes) {}

  nlohmann::json run(int ctl_fd, ChildChannel& ch) {
    UniqueFd lfd = tcp_listen(c_.listen_at, SOMAXCONN);
    ch.ready();
    ep_.add(lfd.get(), EPOLLIN, kListenTag);
    ep_.add(ctl_fd, EPOLLIN, kCtlTag);
    double bound = mono_now_s() + kServerIdleBoundS;
    std::vector<epoll_event> evs(256);
    for (bool stop = false; !stop;) {
      const double left = bound - mono_now_s();
      if (left <= 0) throw RunError("no stop from the parent in time");
      int n = epoll_wait(ep_.fd(), evs.data(), int(evs.size()), int(std::min(left * 1e3 + 1, 1000.0)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw RunError(fmt::format("epoll_wait: {}", std::strerror(errno)));
      for (int i = 0; i < n; ++i) {
        const uint64_t d = evs[i].data.u64;
        if (d == kCtlTag) {
          auto msg = ControlPipe::receive(ctl_fd, mono_now_s() + 1);
          if (!msg || msg->kind == ControlPipe::Kind::stop) {
            stop = true;
          } else {
            take_timeline(msg->timeline, bound);
          }
        } else if (d == kListenTag) {
          accept_all(lfd.get());
          if (c_.mode == RrMode::rr && c_.flows == 1 && conns_.size() == 1) {
            serve_one(conns_.begin()->second, ctl_fd, bound);
            stop = true;
            break;
          }
        } else {
          auto it = conns_.find(int(d));
          if (it != conns_.end()) on_event(it->second, evs[i].events);
        }
      }
    }
    return {{"requests", requests_},
            {"requests_measured", requests_measured_},
            {"connections", connections_},
            {"payload_errors", payload_errors_}};
  }

 private:
  static constexpr uint64_t kListenTag = UINT64_MAX - 1;
  static constexpr uint64_t kCtlTag = UINT64_MAX;

  void accept_all(int lfd) {
    for (;;) {
      int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0 && errno == EINTR) continue;
      if (fd < 0 && (errno == EAGAIN || errno == ECONNABORTED)) return;
      if (fd < 0) throw RunError(fmt::format("accept: {}", std::strerror(errno)));
      ServerConn c;
      c.fd.reset(fd);
      // Best effort: a crr connection the client reset at the end of the run may already be dead.
      set_tcp_nodelay(fd);
      ++connections_;
      if (c_.mode == RrMode::rr) {
        // Long-lived connection: pass the datapath's barrier, then greet the client, which
        // starts no timed transaction before it has this byte. (tcp_crr: see start_connection.)
        dp_.await_socket(fd);
        if (::send(fd, &kHelloByte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
          throw RunError(fmt::format("send hello: {}", std::strerror(errno)));
      }
      ep_.add(fd, EPOLLIN, uint64_t(fd));
      conns_.emplace(fd, std::move(c));
    }
  }

  void close_conn(ServerConn& c) { conns_.erase(c.fd.get()); }   // closing also leaves epoll

  // Reads one control message if one is waiting (wait_s = 0) or arrives within wait_s; true on
  // stop (or the parent gone).
  bool take_control(int ctl_fd, double wait_s, double& bound) {
    pollfd p{ctl_fd, POLLIN, 0};
    if (::poll(&p, 1, int(wait_s * 1e3)) <= 0) return false;
    auto msg = ControlPipe::receive(ctl_fd, mono_now_s() + 1);
    if (!msg || msg->kind == ControlPipe::Kind::stop) return true;
    take_timeline(msg->timeline, bound);
    return false;
  }

  // The run's timeline: what counts as measured, how long to wait for a stop, and when a
  // recv() of serve_one still blocked on a connection the client has given up on (a stalled
  // datapath: no FIN comes either) stops waiting, a second after the client's own bound.
  void take_timeline(const Timeline& tl, double& bound) {
    warm_ns_ = to_ns(tl.warm_end);
    end_ns_ = to_ns(tl.end);
    bound = tl.end + 3 * kGraceS;
    stall_.emplace(end_ns_ + to_ns(kStallBoundS + 1));
  }

  // n bytes of the current request arrived in scratch_: check them; when the request is whole,
  // count it and return true (both server loops answer it then).
  bool take_request_bytes(ServerConn& c, size_t n) {
    if (c_.verify) c.request.feed(c.got, scratch_.data(), n);
    c.got += n;
    if (c.got < c_.request_bytes) return false;
    const uint64_t t = mono_now_ns();
    ++requests_;
    if (t >= warm_ns_ && t < end_ns_) ++requests_measured_;
    if (!c.request.ok()) ++payload_errors_;
    return true;
  }

  void await_stop(int ctl_fd, double& bound) {
    while (!take_control(ctl_fd, 0.1, bound))
      if (mono_now_s() > bound) throw RunError("no stop from the parent in time");
  }

  // The single connection of a one-flow tcp_rr: block in recv()/send() as sockperf's and
  // netperf's servers do, instead of epoll_wait() + recv() per request, with no receive timeout
  // (a timer armed on every sleep costs measurably). The client closes the connection when it
  // is done (or dies), which ends the recv(); the parent's deadline bounds everything else.
  void serve_one(ServerConn& c, int ctl_fd, double& bound) {
    const int fd = c.fd.get();
    ep_.del(fd);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
      throw RunError(fmt::format("server socket: {}", std::strerror(errno)));
    for (;;) {
      if (mono_now_s() > bound) throw RunError("no stop from the parent in time");
      ssize_t n = ::recv(fd, scratch_.data(), std::min<size_t>(c_.request_bytes - c.got, kScratchBytes), 0);
      if (n < 0 && errno == EINTR) {
        if (!g_stalled) continue;
        close_conn(c);   // the client has given up on it (and says why)
        return await_stop(ctl_fd, bound);
      }
      if (n < 0 && errno == EAGAIN) {
        if (take_control(ctl_fd, 0, bound)) return;
        continue;
      }
      if (n <= 0) {   // the client is done (at the end of the run it closes with a response unread)
        close_conn(c);
        return await_stop(ctl_fd, bound);
      }
      if (warm_ns_ == UINT64_MAX && take_control(ctl_fd, 0, bound)) return;   // the timeline precedes t0
      if (!take_request_bytes(c, size_t(n))) continue;
      const uint64_t seed = response_seed(c.request.seed());
      for (size_t sent = 0; sent < c_.response_bytes;) {
        const size_t chunk = std::min<size_t>(c_.response_bytes - sent, kScratchBytes);
        ssize_t w = c_.verify ? send_pattern(fd, seed, sent, chunk, MSG_NOSIGNAL)
                              : ::send(fd, zeros_.data(), chunk, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {   // the client went away (end of run)
          close_conn(c);
          return await_stop(ctl_fd, bound);
        }
        sent += size_t(w);
      }
      c.got = 0;
      c.request.reset();
    }
  }

  void on_event(ServerConn& c, uint32_t events) {
    if (c.responding) {
      if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) send_response(c);
      return;
    }
    for (;;) {
      ssize_t n = ::recv(c.fd.get(), scratch_.data(), std::min<size_t>(c_.request_bytes - c.got, kScratchBytes), MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      // EOF or a reset: the client is done with this connection (at the end of the run the
      // client closes with a response unread, which resets).
      if (n <= 0) return close_conn(c);
      if (!take_request_bytes(c, size_t(n))) continue;
      c.responding = true;
      c.sent = 0;
      send_response(c);   // may close c
      return;
    }
  }

  void send_response(ServerConn& c) {
    const uint64_t seed = response_seed(c.request.seed());
    while (c.sent < c_.response_bytes) {
      const size_t chunk = std::min<size_t>(c_.response_bytes - c.sent, kScratchBytes);
      ssize_t n = c_.verify ? send_pattern(c.fd.get(), seed, c.sent, chunk, MSG_NOSIGNAL | MSG_DONTWAIT)
                            : ::send(c.fd.get(), zeros_.data(), chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        if (!c.want_out) {
          c.want_out = true;
          ep_.mod(c.fd.get(), EPOLLOUT, uint64_t(c.fd.get()));
        }
        return;
      }
      if (n < 0) return close_conn(c);   // the client went away (end of run)
      c.sent += size_t(n);
    }
    if (c_.mode == RrMode::crr) {
      // Close right after the response: the server is the active closer, so TIME_WAIT lands
      // here and the client never runs out of ephemeral ports.
      return close_conn(c);
    }
    c.got = 0;
    c.request.reset();
    c.responding = false;
    if (c.want_out) {
      c.want_out = false;
      ep_.mod(c.fd.get(), EPOLLIN, uint64_t(c.fd.get()));
    }
  }

  const RrConfig& c_;
  const Datapath& dp_;
  Epoll ep_;
  std::unordered_map<int, ServerConn> conns_;
  std::vector<uint8_t> scratch_, zeros_;
  uint64_t warm_ns_ = UINT64_MAX, end_ns_ = 0;
  uint64_t requests_ = 0, requests_measured_ = 0, connections_ = 0, payload_errors_ = 0;
  std::optional<StallTimer> stall_;
};

// ---------------------------------------------------------------------------------------------
// Parent

class TcpRrWorkload : public Workload {
 public:
  explicit TcpRrWorkload(RrMode mode) : mode_(mode) {}

  WorkloadResult run(const WorkloadContext& ctx) override {
    const RrConfig c = configure(ctx);
    const Datapath& dp = ctx.datapath;
    // The control pipes exist before the forks, so each child holds its read end.
    ControlPipe server_ctl, client_ctl;
    SocketPairSpec spec{
        .workload = c.name,
        .port = c.listen_at.port(),
        .server_ready_s = kServerReadyTimeoutS,
        .client_ready_s = kClientReadyTimeoutS,
        .server = [&](ChildChannel& ch) { return RrServer(c, dp).run(server_ctl.read_fd(), ch); },
        .client =
            [&](ChildChannel& ch, const ConnectTarget& target) {
              RrConfig cc = c;
              cc.connect_to = make_sockaddr(target.addr, c.connect_port ? c.connect_port : target.port);
              return RrClient(cc, dp).run(client_ctl.read_fd(), ch);
            },
        .start =
            [&] {
              Timeline tl;
              tl.t0 = mono_now_s() + kStartLeadS;
              tl.warm_end = tl.t0 + ctx.warmup_s;
              tl.end = tl.warm_end + ctx.duration_s;
              server_ctl.send(ControlPipe::Kind::start, tl);
              client_ctl.send(ControlPipe::Kind::start, tl);
              return std::optional<MeasuredWindow>({tl.warm_end, tl.end});
            },
        .stop_server = [&] { server_ctl.send(ControlPipe::Kind::stop); },
        .finish_s = kGraceS,
    };
    return make_result(c, run_socket_pair(ctx, spec));
  }

 private:
  RrConfig configure(const WorkloadContext& ctx) const {
    RrConfig c;
    c.mode = mode_;
    c.name = mode_ == RrMode::rr ? "tcp_rr" : "tcp_crr";
    const auto& o = ctx.options;
    const int64_t port = o.get_int("port");
    const int64_t connect_port = o.get_int("connect_port");
    const int64_t response = o.get_int("response_size");
    auto bad = [&](const std::string& why) { return RunError(std::string(c.name) + ": " + why); };
    if (port < 1 || port > 65535) throw bad(fmt::format("port {} out of range", port));
    if (connect_port < 0 || connect_port > 65535) throw bad(fmt::format("connect_port {} out of range", connect_port));
    if (ctx.cell.integer("message_size") < 1 || ctx.cell.integer("message_size") > kMaxMessageBytes)
      throw bad(fmt::format("message_size {} outside [1, {}]", ctx.cell.integer("message_size"), kMaxMessageBytes));
    if (response < 0 || response > kMaxMessageBytes)
      throw bad(fmt::format("response_size {} outside [0, {}]", response, kMaxMessageBytes));
    if (ctx.cell.integer("flows") < 1 || ctx.cell.integer("flows") > kMaxFlows)
      throw bad(fmt::format("flows {} outside [1, {}]", ctx.cell.integer("flows"), kMaxFlows));
    c.listen_at = make_sockaddr(ctx.topo.server().addr, uint16_t(port));
    c.connect_port = uint16_t(connect_port);
    c.request_bytes = ctx.cell.integer("message_size");
    c.response_bytes = response ? uint32_t(response) : ctx.cell.integer("message_size");
    c.flows = ctx.cell.integer("flows");
    c.verify = o.get_bool("verify_payload");
    c.interval_s = o.get_number("interval_s");
    if (!(c.interval_s >= 0.01)) throw bad("interval_s must be at least 0.01");
    if (!(ctx.warmup_s >= 0) || !(ctx.duration_s > 0)) throw bad("needs warmup_s >= 0 and duration_s > 0");
    return c;
  }

  // Whatever came back: the client's samples and latencies (up to a failure), both ends' counts.
  static WorkloadResult make_result(const RrConfig& c, const SocketPairOutcome& o) {
    WorkloadResult r;
    r.payload_checked = c.verify;
    for (const EndResult* e : {&o.client, &o.server})
      if (!e->cpu.role.empty()) r.processes.push_back(e->cpu);
    const nlohmann::json& cj = o.client.result;
    const nlohmann::json& sj = o.server.result;
    uint64_t client_errors = 0, server_errors = 0;
    try {
      if (cj.is_object()) {
        for (const auto& s : cj.at("samples")) {
          IntervalSample x;
          x.start_s = s.at("start_s").get<double>();
          x.duration_s = s.at("duration_s").get<double>();
          x.bytes = s.at("bytes").get<uint64_t>();
          x.messages = s.at("messages").get<uint64_t>();
          x.transactions = s.at("transactions").get<uint64_t>();
          x.warmup = s.at("warmup").get<bool>();
          r.samples.push_back(x);
        }
        r.latency_ns = Histogram::from_json(cj.at("latency_ns"));
        client_errors = cj.at("payload_errors").get<uint64_t>();
        r.window_s = cj.at("window_s").get<double>();
        r.extra["client_transactions_total"] = double(cj.at("transactions_total").get<uint64_t>());
        r.extra["client_payload_errors"] = double(client_errors);
        r.extra["client_start_lag_s"] = cj.at("start_lag_s").get<double>();
      }
      if (sj.is_object()) {
        server_errors = sj.at("payload_errors").get<uint64_t>();
        r.extra["server_requests"] = double(sj.at("requests").get<uint64_t>());
        r.extra["server_requests_measured"] = double(sj.at("requests_measured").get<uint64_t>());
        r.extra["server_connections"] = double(sj.at("connections").get<uint64_t>());
        r.extra["server_payload_errors"] = double(server_errors);
      }
    } catch (const std::exception& e) {
      r.failure = fmt::format("{}: malformed result from a child: {}", c.name, e.what());
    }
    r.extra["request_bytes"] = double(c.request_bytes);
    r.extra["response_bytes"] = double(c.response_bytes);
    r.payload_errors = client_errors + server_errors;
    if (r.failure.empty()) r.failure = o.failure(c.name);
    if (r.failure.empty() && r.payload_errors > 0)
      r.failure = fmt::format("{}: payload check: {} transactions differed from the pattern (client saw {}, "
                              "server saw {})", c.name, r.payload_errors, client_errors, server_errors);
    return r;
  }

  RrMode mode_;
};

std::vector<OptionSpec> rr_options() {
  return {
      {.name = "response_size", .type = OptionType::integer, .default_value = int64_t(0),
       .doc = "bytes per response; 0: the same as the request (message_size)", .min = 0, .max = double(kMaxMessageBytes)},
      {.name = "verify_payload", .type = OptionType::boolean, .default_value = true,
       .doc = "fill requests and responses with a deterministic pattern and check every byte at both ends"},
      {.name = "interval_s", .type = OptionType::number, .default_value = 0.5,
       .doc = "length of each raw sample interval", .min = 0.01, .max = 3600},
      {.name = "port", .type = OptionType::integer, .default_value = int64_t(5300),
       .doc = "TCP port the server listens on", .min = 1, .max = 65535},
      {.name = "connect_port", .type = OptionType::integer, .default_value = int64_t(0),
       .doc = "TCP port the client connects to instead of the one the datapath names; 0: no override "
               "(a port nobody listens on tests failure handling)",
       .min = 0, .max = 65535},
  };
}

// Transactions, latency and the CPU one transaction costs; bytes as a rate too.
std::vector<MetricSpec> rr_metrics() {
  std::vector<MetricSpec> m = {
      {.name = "transactions_per_s", .unit = "1/s", .direction = Direction::higher_is_better,
       .derivation = Derivation::rate, .source = "transactions", .doc = "completed request/response pairs per second",
       .headline = true},
  };
  for (MetricSpec& l : latency_metrics()) m.push_back(std::move(l));
  m.push_back({.name = "cpu_us_per_transaction", .unit = "µs", .direction = Direction::lower_is_better,
               .derivation = Derivation::cpu_per_unit, .source = "transactions", .scale = 1e6,
               .doc = "busy CPU time of all CPUs per completed transaction", .headline = true,
               .display_unit = "CPU µs/tx"});
  m.push_back({.name = "throughput_bps", .unit = "bit/s", .direction = Direction::higher_is_better,
               .derivation = Derivation::rate, .source = "bytes", .scale = 8,
               .doc = "payload bits per second received by the client (responses)"});
  return m;
}

}  // namespace

void register_tcp_rr(WorkloadRegistry& reg) {
  reg.add({
      .name = "tcp_rr",
      .description = "request/response over long-lived TCP connections, one transaction in flight per flow "
                     "(netperf TCP_RR): transactions/s and latency",
      .options = rr_options(),
      .factory = [] { return std::make_unique<TcpRrWorkload>(RrMode::rr); },
      .traffic = {"stream"},
      .axes = socket_axes(),
      .metrics = rr_metrics(),
      .summary = "TCP request/response, long-lived connections (netperf TCP_RR)",
  });
  reg.add({
      .name = "tcp_crr",
      .description = "connect, request, response, close per transaction (netperf TCP_CRR): "
                     "connection setup rate and latency",
      .options = rr_options(),
      .factory = [] { return std::make_unique<TcpRrWorkload>(RrMode::crr); },
      .traffic = {"stream"},
      .axes = socket_axes(),
      .metrics = rr_metrics(),
      .summary = "TCP connect/request/response/close per transaction (netperf TCP_CRR)",
  });
}

}  // namespace benchlab::workloads
