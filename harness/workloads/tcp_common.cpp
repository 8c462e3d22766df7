#include "benchlab/workloads/tcp_common.hpp"
#include "benchlab/workloads/tcp.hpp"

#include <arpa/inet.h>
#include <endian.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/socket_options.hpp"

namespace benchlab::workloads {

namespace {

[[noreturn]] void fail(const std::string& what, int err) { throw RunError(what + ": " + std::strerror(err)); }

int poll_timeout_ms(double deadline_s) {
  double left = deadline_s - mono_now_s();
  if (left <= 0) return 0;
  return int(std::min(std::ceil(left * 1e3), 1e6));
}

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

uint16_t SockAddr::port() const {
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
}

std::string SockAddr::str() const {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port());
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(port());
}

SockAddr make_sockaddr(const IpAddress& a, uint16_t port) {
  SockAddr s;
  s.ss = to_sockaddr(a, port, &s.len);
  return s;
}

UniqueFd tcp_socket(int family) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd) fail("socket", errno);
  if (int rc = set_tcp_nodelay(fd.get()); rc != 0) fail("setsockopt(TCP_NODELAY)", -rc);
  return fd;
}

UniqueFd tcp_listen(const SockAddr& at, int backlog) {
  UniqueFd fd(::socket(at.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd) fail("socket", errno);
  int one = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) fail("setsockopt(SO_REUSEADDR)", errno);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&at.ss), at.len) != 0) fail("bind " + at.str(), errno);
  if (::listen(fd.get(), backlog) != 0) fail("listen on " + at.str(), errno);
  return fd;
}

bool tcp_connect_start(int fd, const SockAddr& to) {
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to.ss), to.len) == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EINPROGRESS) return false;
    fail("connect " + to.str(), errno);
  }
}

int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void tcp_connect_wait(int fd, const SockAddr& to, double deadline_s) {
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, poll_timeout_ms(deadline_s));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("poll", errno);
    if (n == 0) throw RunError("connect " + to.str() + ": timed out");
    if (int err = socket_error(fd)) fail("connect " + to.str(), err);
    return;
  }
}

bool wait_readable(int fd, double deadline_s) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, poll_timeout_ms(deadline_s));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("poll", errno);
    return n > 0;
  }
}

uint64_t mono_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

Epoll::Epoll() : fd_(epoll_create1(EPOLL_CLOEXEC)) {
  if (!fd_) fail("epoll_create1", errno);
}

void Epoll::add(int fd, uint32_t events, uint64_t data) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = data;
  if (epoll_ctl(fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) fail("epoll_ctl(ADD)", errno);
}

void Epoll::mod(int fd, uint32_t events, uint64_t data) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = data;
  if (epoll_ctl(fd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) fail("epoll_ctl(MOD)", errno);
}

void Epoll::del(int fd) {
  if (epoll_ctl(fd_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0) fail("epoll_ctl(DEL)", errno);
}

ControlPipe::ControlPipe() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) fail("pipe2", errno);
  rd_.reset(p[0]);
  wr_.reset(p[1]);
}

void ControlPipe::send(Kind kind, const Timeline& tl) {
  Message m{kind, tl};
  static_assert(sizeof(Message) <= 512, "a control message must stay below PIPE_BUF");
  for (;;) {
    ssize_t n = ::write(wr_.get(), &m, sizeof m);
    if (n < 0 && errno == EINTR) continue;
    if (n != ssize_t(sizeof m)) fail("write to control pipe", n < 0 ? errno : EIO);
    return;
  }
}

std::optional<ControlPipe::Message> ControlPipe::receive(int fd, double deadline_s) {
  if (!wait_readable(fd, deadline_s)) throw RunError("no start/stop from the parent in time");
  Message m;
  for (;;) {
    ssize_t n = ::read(fd, &m, sizeof m);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return std::nullopt;
    if (n != ssize_t(sizeof m)) fail("read from control pipe", n < 0 ? errno : EIO);
    return m;
  }
}

namespace {

// pattern(seed) is a window into one fixed pseudo-random byte cycle of prime length, starting at
// seed mod that length: producing or checking a chunk is a memcpy/memcmp (tens of ns per KiB),
// so verifying every byte does not show in the latency being measured.
// The cycle is small enough to stay in L1; it is stored unrolled for kPatternContig more bytes
// so that any chunk up to that length is contiguous and can be sent straight from it.
constexpr size_t kCycle = 4093;

const uint8_t* cycle_bytes() {
  static const std::vector<uint8_t> bytes = [] {
    std::vector<uint8_t> b(kCycle + kPatternContig);
    for (size_t i = 0; i < kCycle; i += 8) {
      uint64_t w = mix64(0x626c2d6379636c65ull + i);
      std::memcpy(b.data() + i, &w, std::min<size_t>(8, kCycle - i));
    }
    for (size_t i = kCycle; i < b.size(); ++i) b[i] = b[i - kCycle];
    return b;
  }();
  return bytes.data();
}

}  // namespace

uint64_t transaction_seed(uint64_t nonce, uint32_t flow, uint64_t seq, size_t request_bytes) {
  uint64_t seed = mix64(nonce ^ (uint64_t(flow) << 40) ^ seq);
  if (request_bytes < kSeedBytes) seed &= (uint64_t(1) << (8 * request_bytes)) - 1;
  return seed;
}

uint64_t response_seed(uint64_t request_seed) { return mix64(request_seed ^ 0x62656e63686c6162ull); }

const uint8_t* pattern_view(uint64_t seed, uint64_t offset, size_t* n) {
  *n = std::min(*n, kPatternContig);
  return cycle_bytes() + size_t((seed % kCycle + offset % kCycle) % kCycle);
}

void pattern_fill(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n) {
  while (n) {
    size_t k = n;
    const uint8_t* p = pattern_view(seed, offset, &k);   // sets k: not inside the call below
    std::memcpy(dst, p, k);
    dst += k, offset += k, n -= k;
  }
}

bool pattern_matches(uint64_t seed, uint64_t offset, const uint8_t* src, size_t n) {
  while (n) {
    size_t k = n;
    const uint8_t* p = pattern_view(seed, offset, &k);
    if (std::memcmp(src, p, k) != 0) return false;
    src += k, offset += k, n -= k;
  }
  return true;
}

ssize_t send_request_bytes(int fd, uint64_t seed, uint64_t offset, size_t n, int flags) {
  const uint64_t le = htole64(seed);
  iovec iov[2];
  int cnt = 0;
  if (offset < kSeedBytes) {
    size_t h = std::min<size_t>(kSeedBytes - offset, n);
    iov[cnt++] = {const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(&le)) + offset, h};
    offset += h, n -= h;
  }
  if (n) {
    const uint8_t* p = pattern_view(seed, offset, &n);
    iov[cnt++] = {const_cast<uint8_t*>(p), n};
  }
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = size_t(cnt);
  return ::sendmsg(fd, &m, flags);
}

ssize_t send_pattern(int fd, uint64_t seed, uint64_t offset, size_t n, int flags) {
  const uint8_t* p = pattern_view(seed, offset, &n);
  return ::send(fd, p, n, flags);
}

void request_fill(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n) {
  const uint64_t le = htole64(seed);
  size_t i = 0;
  for (; i < n && offset + i < kSeedBytes; ++i) dst[i] = reinterpret_cast<const uint8_t*>(&le)[offset + i];
  if (i < n) pattern_fill(seed, offset + i, dst + i, n - i);
}

void RequestCheck::feed(uint64_t offset, const uint8_t* src, size_t n) {
  size_t i = 0;
  for (; i < n && offset + i < kSeedBytes; ++i) seed_ |= uint64_t(src[i]) << (8 * (offset + i));
  if (i < n && ok_ && !pattern_matches(seed_, offset + i, src + i, n - i)) ok_ = false;
}

Cell socket_cell(const std::string& workload, int64_t message_size, int64_t flows, const std::string& placement) {
  const std::vector<AxisSpec> axes = socket_axes();
  return Cell(workload, {{&axes[0], message_size}, {&axes[1], flows}, {&axes[2], placement}});
}

std::vector<AxisSpec> socket_axes() {
  return {
      {.name = "message_size", .type = OptionType::integer, .default_value = int64_t(1024), .unit = "B",
       .doc = "bytes per message (stream) or per request (request/response)", .min = 1, .max = double(16 << 20),
       .label_suffix = "B"},
      {.name = "flows", .type = OptionType::integer, .default_value = int64_t(1), .unit = "flows",
       .doc = "parallel connections", .min = 1, .max = 256, .label_suffix = "flow"},
      {.name = "cpu_placement", .type = OptionType::string, .default_value = std::string("cross-core"),
       .doc = "same-core: every CPU role on one CPU; cross-core: the sending side on its own CPU",
       .choices = {"same-core", "cross-core"}, .max_values = 2},
  };
}

}  // namespace benchlab::workloads
