// Socket helpers shared by the epoll-driven TCP workloads (tcp_rr, tcp_crr): owned fds, socket
// addresses built from a topology endpoint, nonblocking connect with a deadline, an epoll
// wrapper, a control pipe from the parent to a child, and the deterministic payload pattern both
// ends verify. Failures throw RunError with one line ("connect 198.18.0.1:5300: Connection refused").
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "benchlab/core/topology.hpp"

namespace benchlab::workloads {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family() const { return ss.ss_family; }
  uint16_t port() const;
  std::string str() const;   // "198.18.0.1:5300" or "[2001:2::1]:5300"
};
SockAddr make_sockaddr(const IpAddress& a, uint16_t port);

// A nonblocking, close-on-exec TCP socket with TCP_NODELAY set.
UniqueFd tcp_socket(int family);
// A nonblocking listener with SO_REUSEADDR (so a rerun in the same namespace can bind while the
// previous run's connections sit in TIME_WAIT).
UniqueFd tcp_listen(const SockAddr& at, int backlog);
// Starts a nonblocking connect: true when already connected, false when in progress; throws on
// an immediate failure.
bool tcp_connect_start(int fd, const SockAddr& to);
// The pending error of a nonblocking connect (SO_ERROR): 0 when connected.
int socket_error(int fd);
// Waits (poll) until a connect started by tcp_connect_start completes; throws on failure or at
// the CLOCK_MONOTONIC deadline.
void tcp_connect_wait(int fd, const SockAddr& to, double deadline_s);
// Waits until fd is readable or the deadline passes; false on timeout.
bool wait_readable(int fd, double deadline_s);

uint64_t mono_now_ns();

class Epoll {
 public:
  Epoll();
  void add(int fd, uint32_t events, uint64_t data);
  void mod(int fd, uint32_t events, uint64_t data);
  void del(int fd);
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

// The parent's timeline for one run, CLOCK_MONOTONIC seconds.
struct Timeline {
  double t0 = 0;         // load starts
  double warm_end = 0;   // measured window starts
  double end = 0;        // measured window ends, load stops
};

// A pipe the parent writes small fixed-size commands into; each child created after it holds
// the read end (fork inherits it). Writes are below PIPE_BUF, hence atomic. The parent keeps its
// own read end open, so a write after the child died never raises SIGPIPE.
class ControlPipe {
 public:
  enum class Kind : uint32_t { start = 1, stop = 2 };
  struct Message {
    Kind kind;
    Timeline timeline;
  };
  ControlPipe();
  int read_fd() const { return rd_.get(); }
  void send(Kind kind, const Timeline& tl = {});
  // Child side: one message, or nullopt on EOF (the parent is gone); throws at the deadline.
  static std::optional<Message> receive(int fd, double deadline_s);

 private:
  UniqueFd rd_, wr_;
};

// Deterministic payload. pattern(seed) is the stream of a fixed pseudo-random byte cycle of
// prime length 4093 (it stays in L1) read from position seed mod 4093, so any chunk at any offset is produced
// or checked with memcpy/memcmp, cheaply enough not to show in the latency measured. Two seeds
// give the same stream only when equal mod 4093 (a response misdelivered between such
// transactions would pass: 1 in 4093); any corruption of bytes shows.
//
// A request carries its own seed: its first min(8, size) bytes are the seed (little-endian), the
// rest is pattern(seed) from that offset on. The response is pattern(response_seed(seed)). So the
// server needs no knowledge of who sent a request (a proxy datapath may sit in between), checks
// every request byte past the seed, and the client, which picked a seed unique to the
// transaction, checks the whole response: a corrupted request seed, a response to someone else's
// request, or a corrupted response all show up as a mismatch.
inline constexpr size_t kSeedBytes = 8;

// splitmix64's finaliser: a cheap bijective mix with good avalanche (seeds, pattern words).
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
uint64_t transaction_seed(uint64_t nonce, uint32_t flow, uint64_t seq, size_t request_bytes);   // truncated to the request
uint64_t response_seed(uint64_t request_seed);
void pattern_fill(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n);
bool pattern_matches(uint64_t seed, uint64_t offset, const uint8_t* src, size_t n);
void request_fill(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n);
// Up to *n (at most kPatternContig) bytes of pattern(seed) from `offset`, in place: nothing is
// copied. *n is set to the length available.
inline constexpr size_t kPatternContig = 64 * 1024;
const uint8_t* pattern_view(uint64_t seed, uint64_t offset, size_t* n);
// send()s of a request's bytes [offset, offset+n) and of pattern(seed) straight from the
// pattern table (no fill copy on the measured path); they may send fewer than n bytes.
ssize_t send_request_bytes(int fd, uint64_t seed, uint64_t offset, size_t n, int flags);
ssize_t send_pattern(int fd, uint64_t seed, uint64_t offset, size_t n, int flags);

// The server's view of one incoming request: learns the seed from the head, checks the rest.
class RequestCheck {
 public:
  void reset() { seed_ = 0, ok_ = true; }
  void feed(uint64_t offset, const uint8_t* src, size_t n);   // chunks in order
  uint64_t seed() const { return seed_; }
  bool ok() const { return ok_; }

 private:
  uint64_t seed_ = 0;
  bool ok_ = true;
};

}  // namespace benchlab::workloads
