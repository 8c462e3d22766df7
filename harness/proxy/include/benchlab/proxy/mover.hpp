// How a TCP proxy moves bytes, as a strategy (STYLE 14). The proxy's skeleton (accept, connect
// upstream, gate, half-close, lifetime, counters: tcp_proxy.hpp) is written once; the one step
// that differs between the proxy datapaths, how the bytes of a direction get from one socket to
// the other, is a Mover chosen by the datapath's registry row:
//   user-space copy        read()/write() through a buffer           (user_space_movers.hpp)
//   splice through a pipe  splice() socket → pipe → socket           (user_space_movers.hpp)
//   sockmap egress redirect, sockmap ingress relay: BPF verdicts     (bpf/sockmap_movers.hpp)
// A mover has three parts, by where each lives:
//   Mover      in the datapath, for the whole run: what it attached (BPF programs, a cgroup), its
//              counters, its readiness barrier, how it proves it carried the bytes; it makes the
//              Pump of each proxy process.
//   Pump       in one proxy process: makes and gates its connections' directions, cleans up after
//              them, and does the mover's periodic work.
//   Direction  one direction of one connection: moves bytes from its source socket to its
//              destination. The skeleton calls it once per readiness event, never per byte.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "benchlab/core/results.hpp"

namespace benchlab::proxy {

// Counters every proxy process updates and the datapath reads live: they sit in a MAP_SHARED
// anonymous mapping made before the fork (SharedBlock). Lock-free 64-bit atomics are
// address-free, so they work across processes; several proxies (one per port) add into one block.
struct alignas(64) ProxyCounters {
  std::atomic<uint64_t> connections{0};         // client connections accepted and joined upstream
  std::atomic<uint64_t> connect_errors{0};      // upstream connects that failed (client closed)
  std::atomic<uint64_t> c2s_bytes{0};           // bytes the proxy's user space moved client→server
  std::atomic<uint64_t> s2c_bytes{0};           // and server→client
  std::atomic<uint64_t> user_copied_bytes{0};   // of those, bytes that crossed user memory
};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters must be lock-free");

// One T in a MAP_SHARED anonymous mapping, so forked proxy processes and the datapath see the
// same object. Made before the fork; unmapped when this goes.
template <class T>
class SharedBlock {
 public:
  SharedBlock();   // throws SystemError
  ~SharedBlock();
  SharedBlock(const SharedBlock&) = delete;
  SharedBlock& operator=(const SharedBlock&) = delete;
  T* get() const { return p_; }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_; }

 private:
  T* p_ = nullptr;
};
void* map_shared_bytes(size_t n);     // mmap(MAP_SHARED | MAP_ANONYMOUS); throws SystemError
void unmap_shared_bytes(void* p, size_t n);
template <class T>
SharedBlock<T>::SharedBlock() : p_(new (map_shared_bytes(sizeof(T))) T()) {}
template <class T>
SharedBlock<T>::~SharedBlock() {
  p_->~T();
  unmap_shared_bytes(p_, sizeof(T));
}

// One direction of one proxied connection: the bytes from `src` to `dst`. The skeleton owns the
// sockets, the epoll interest and the half-close; the mover's subclass moves the bytes.
class Direction {
 public:
  Direction(int src_fd, int dst_fd, bool client_to_server) : src(src_fd), dst(dst_fd), c2s(client_to_server) {}
  virtual ~Direction() = default;
  Direction(const Direction&) = delete;
  Direction& operator=(const Direction&) = delete;

  // Moves what it can now, in at most kMaxRoundsPerEvent rounds so no flow starves the others,
  // and sets src_eof once the source's FIN is taken. -1: connection error; 1: progress;
  // 0: nothing could move.
  virtual int move() = 0;
  // Bytes taken from src that dst has not been handed yet.
  virtual bool pending_out() const = 0;
  // Room to take more from src now.
  virtual bool has_room() const = 0;
  // Whether src's FIN may go on to dst now. A kernel mover first waits, bounded, until the
  // bytes it still has in flight have reached dst.
  virtual bool fin_may_go() { return true; }
  // A bounded wait for the kernel is under way (a FIN or an EOF held back): the connection is
  // not closed on a hang-up meanwhile.
  virtual bool waiting() const { return false; }

  const int src, dst;
  const bool c2s;          // client→server
  bool src_eof = false;    // the source sent FIN (a read returned 0)
  bool shut = false;       // FIN forwarded: shutdown(dst, SHUT_WR) done

 protected:
  static constexpr int kMaxRoundsPerEvent = 16;
  // Runs `once` (-1 error, 1 progress, 0 would block) until it would block, fails, or has run
  // kMaxRoundsPerEvent times; returns what move() returns.
  template <class Once>
  static int rounds(Once&& once) {
    bool progress = false;
    for (int round = 0; round < kMaxRoundsPerEvent; ++round) {
      int r = once();
      if (r < 0) return -1;
      if (r == 0) break;
      progress = true;
    }
    return progress ? 1 : 0;
  }
};

// A client connection and its upstream connection, as the skeleton holds them.
struct Connection {
  int cfd = -1, ufd = -1;               // the client's socket and the one to the server
  std::unique_ptr<Direction> d[2];      // [0] client→server, [1] server→client
  // The skeleton's own bookkeeping: registered epoll interest per socket.
  uint32_t ev_c = 0, ev_u = 0;
  bool reg_c = false, reg_u = false;
  bool dead = false;
};

// The part of a mover that runs in one proxy process.
class Pump {
 public:
  virtual ~Pump() = default;
  // The direction from src to dst of a new connection, or nullptr when it cannot be made (the
  // connection is then closed).
  virtual std::unique_ptr<Direction> direction(int src, int dst, bool c2s) = 0;
  // Both directions made: whatever the mover does before bytes may move (a kernel mover gates
  // the sockets). False: the connection is closed at once (the pump counted why).
  virtual bool open(Connection&) { return true; }
  // Before the connection's sockets are closed: what the mover keeps per connection goes.
  virtual void close(Connection&) {}
  // The epoll events a source socket with room waits for.
  virtual uint32_t input_events() const { return EPOLLIN | EPOLLRDHUP; }
  // Whether the skeleton moves what the client sent before the accept at once (user space), or
  // leaves it to the kernel (a BPF verdict takes the queue when the socket is gated).
  virtual bool moves_at_accept() const { return true; }
  // The longest the loop sleeps in epoll_wait with nothing to do.
  virtual int idle_wait_ms() const { return 100; }
  // The mover's periodic work, after every wake-up. True: service every connection again.
  virtual bool after_wakeup(double /*now_s*/) { return false; }

  // A direction that waits, bounded, for the kernel asks the loop to poll every millisecond
  // and to service every connection again until it is done.
  void request_quick_poll() { quick_poll_ = true; }
  bool quick_poll() const { return quick_poll_; }
  bool take_quick_poll() {
    const bool q = quick_poll_;
    quick_poll_ = false;
    return q;
  }

 private:
  bool quick_poll_ = false;
};

struct PumpContext {
  ProxyCounters* counters = nullptr;   // the datapath's shared block
  int timeout_ms = 2000;               // bound on any wait for the kernel (a drain, a target)
};

// How a proxy proves it carried the workload's bytes (evaluate_proxy_engagement).
struct CarryProof {
  std::string carried_counter;   // the counter of the bytes the mover carried ("forwarded_bytes")
  std::string carried_by;        // for messages: "the proxy forwarded", "BPF redirected"
  // A mover that is not meant to copy: the proxy's user space may have copied at most this share
  // of the received bytes (user_copied_bytes).
  std::optional<double> max_user_copy_share;
  std::vector<std::string> details;   // counters the message names
  // A reason the run fails whatever was carried (sockmap-skb's memory guard), or "".
  std::string (*veto)(const std::string& who, const Counters& counters) = nullptr;
};

// The part of a mover that lives in the datapath, for the whole run; chosen by the registry row.
class Mover {
 public:
  explicit Mover(std::string name) : name_(std::move(name)) {}
  virtual ~Mover() = default;
  Mover(const Mover&) = delete;
  Mover& operator=(const Mover&) = delete;

  // The datapath's name ("proxy-copy"): every message the mover writes starts with it.
  const std::string& name() const { return name_; }
  // Called in each proxy process, after the fork.
  virtual std::unique_ptr<Pump> make_pump(const PumpContext& ctx) const = 0;
  // Datapath::workload_cgroup() and await_socket(): the mover's cgroup and readiness barrier.
  virtual std::string workload_cgroup() const { return {}; }
  virtual void await_socket(int /*fd*/) const {}
  // Adds the mover's own counters to the proxy's.
  virtual void add_counters(Counters&) const {}
  virtual CarryProof proof() const = 0;

 private:
  std::string name_;
};

}  // namespace benchlab::proxy
