// Test datapaths that put a small forwarder between client and server (as a proxy datapath puts
// one): one tampers with a stream (changes the client's bytes in a chosen way), one cuts or
// stalls every connection in the middle of a run. Shared by the workload tests and the runner's.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchlab/core/child.hpp"
#include "benchlab/core/clock.hpp"
#include "benchlab/core/datapath.hpp"
#include "benchlab/core/error.hpp"

namespace benchlab::testing {

enum class Tamper { none, flip_byte, truncate, drop_chunk };

// Listens on port + 1000 at the server's address and forwards one connection to the server,
// tampering with the client's bytes at stream offset kAt (the 8-byte seed comes first).
constexpr uint64_t kAt = 100000;

inline void forward(int lfd, const sockaddr_storage& up, socklen_t up_len, Tamper how) {
  int c = ::accept(lfd, nullptr, nullptr);
  if (c < 0) throw SystemError("accept", errno);
  int u = ::socket(up.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (u < 0 || ::connect(u, reinterpret_cast<const sockaddr*>(&up), up_len) != 0) throw SystemError("connect", errno);
  std::vector<uint8_t> buf(65536);
  uint64_t pos = 0;
  bool client_open = true;
  for (;;) {
    pollfd p[2] = {{client_open ? c : -1, POLLIN, 0}, {u, POLLIN, 0}};
    if (::poll(p, 2, 10000) <= 0) throw RunError("forwarder: idle for 10 s");
    if (p[1].revents) {   // the server closes when it is done: so do we
      ::close(c);
      ::close(u);
      return;
    }
    ssize_t n = ::read(c, buf.data(), buf.size());
    if (n <= 0) {
      ::shutdown(u, SHUT_WR);
      client_open = false;
      continue;
    }
    size_t len = size_t(n), from = 0;
    if (pos <= kAt && kAt < pos + len) {
      size_t i = size_t(kAt - pos);
      if (how == Tamper::flip_byte) buf[i] ^= 0x01;
      if (how == Tamper::truncate) {   // forward up to kAt, then close both ways
        if (::write(u, buf.data(), i) != ssize_t(i)) throw SystemError("write", errno);
        ::close(u);
        ::close(c);
        return;
      }
      if (how == Tamper::drop_chunk) {   // leave out 4093 bytes (one cycle of tcp_rr's pattern)
        size_t k = std::min<size_t>(4093, len - i);
        std::memmove(buf.data() + i, buf.data() + i + k, len - i - k);
        len -= k;
      }
    }
    pos += size_t(n);
    for (; from < len;) {
      ssize_t w = ::write(u, buf.data() + from, len - from);
      if (w <= 0) throw SystemError("write", errno);
      from += size_t(w);
    }
  }
}

// Starts a forwarder child in the server's namespace that listens on the server's address at
// port + 1000 and runs `serve` with its listening socket and its upstream (the server at
// `port`); returns where the client goes. The forwarder `slot` held before is killed.
using ServeFn = std::function<void(int lfd, const sockaddr_storage& up, socklen_t up_len)>;
inline ConnectTarget start_forwarder(std::optional<ChildProcess>& slot, const Endpoint& server, uint16_t port,
                                     ServeFn serve) {
  const uint16_t fport = uint16_t(port + 1000);
  socklen_t up_len = 0, at_len = 0;
  const sockaddr_storage up = to_sockaddr(server.addr, port, &up_len);
  const sockaddr_storage at = to_sockaddr(server.addr, fport, &at_len);
  slot.emplace(ChildProcess::spawn({
      .role = "forwarder",
      .ns = server.ns,
      .cgroup = "",
      .cpu = -1,
      .body = [=](ChildChannel& ch) {
        int lfd = ::socket(at.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(lfd, reinterpret_cast<const sockaddr*>(&at), at_len) != 0 || ::listen(lfd, 4) != 0)
          throw SystemError("forwarder bind/listen", errno);
        ch.ready();
        serve(lfd, up, up_len);
        return nlohmann::json::object();
      },
  }));
  slot->await_ready(Clock::now() + std::chrono::seconds(5));
  return {server.addr, fport};
}

// A datapath that puts the tampering forwarder between client and server. The first `direct`
// client targets go straight to the server (tcp_stream's load, which iperf opens on several
// connections), the later ones through a new forwarder each (its payload check).
class TamperingDatapath : public Datapath {
 public:
  explicit TamperingDatapath(Tamper how, int direct = 0) : how_(how), direct_(direct) {}
  std::string name() const override { return "tamper"; }
  ConnectTarget client_target(const Endpoint& server, uint16_t port) const override {
    if (targets_++ < direct_) return {server.addr, port};
    const Tamper how = how_;
    return start_forwarder(fwd_, server, port, [how](int lfd, const sockaddr_storage& up, socklen_t up_len) {
      forward(lfd, up, up_len, how);
    });
  }

 private:
  Tamper how_;
  int direct_;
  mutable int targets_ = 0;
  mutable std::optional<ChildProcess> fwd_;
};

// Carries any number of connections both ways until `cut_after_s` after the first byte from a
// client, then closes them all on both sides or (stall) stops forwarding and holds them open.
inline void forward_then_cut(int lfd, const sockaddr_storage& up, socklen_t up_len, double cut_after_s,
                             bool stall) {
  struct Pair {
    int fd[2];   // the client's connection, the one to the server
  };
  std::vector<Pair> pairs;
  std::vector<char> buf(65536);
  double cut_at = 0;
  while (cut_at == 0 || mono_now_s() < cut_at) {
    std::vector<pollfd> p{{lfd, POLLIN, 0}};
    for (const Pair& x : pairs) p.insert(p.end(), {{x.fd[0], POLLIN, 0}, {x.fd[1], POLLIN, 0}});
    if (::poll(p.data(), p.size(), 10) < 0) throw SystemError("forwarder poll", errno);
    if (p[0].revents) {
      int c = ::accept(lfd, nullptr, nullptr);
      int u = ::socket(up.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (c < 0 || ::connect(u, reinterpret_cast<const sockaddr*>(&up), up_len) != 0)
        throw SystemError("forwarder accept/connect", errno);
      pairs.push_back({{c, u}});
      continue;
    }
    for (size_t i = 0; i < pairs.size(); ++i)
      for (int side = 0; side < 2; ++side) {
        const int from = pairs[i].fd[side], to = pairs[i].fd[1 - side];
        if (from < 0 || !p[1 + 2 * i + size_t(side)].revents) continue;
        ssize_t n = ::read(from, buf.data(), buf.size());
        if (n <= 0) {   // an end is done: so is its connection
          ::close(from);
          ::close(to);
          pairs[i].fd[0] = pairs[i].fd[1] = -1;
          break;
        }
        if (side == 0 && cut_at == 0) cut_at = mono_now_s() + cut_after_s;
        for (ssize_t off = 0; off < n;) {
          ssize_t w = ::write(to, buf.data() + off, size_t(n - off));
          if (w <= 0) throw SystemError("forwarder write", errno);
          off += w;
        }
      }
    std::erase_if(pairs, [](const Pair& x) { return x.fd[0] < 0; });
  }
  if (stall) ::pause();   // until the datapath goes
  for (const Pair& x : pairs) {
    ::close(x.fd[0]);
    ::close(x.fd[1]);
  }
}

// Every connection through a forwarder that cuts (or stalls) it `cut_after_s` after the
// client's first byte.
class CuttingDatapath : public Datapath {
 public:
  explicit CuttingDatapath(double cut_after_s, bool stall = false) : cut_after_s_(cut_after_s), stall_(stall) {}
  std::string name() const override { return stall_ ? "stalling" : "cutting"; }
  ConnectTarget client_target(const Endpoint& server, uint16_t port) const override {
    const double cut_after_s = cut_after_s_;
    const bool stall = stall_;
    return start_forwarder(fwd_, server, port, [=](int lfd, const sockaddr_storage& up, socklen_t up_len) {
      forward_then_cut(lfd, up, up_len, cut_after_s, stall);
    });
  }

 private:
  double cut_after_s_;
  bool stall_;
  mutable std::optional<ChildProcess> fwd_;
};

}  // namespace benchlab::testing
