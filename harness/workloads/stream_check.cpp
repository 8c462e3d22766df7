// The verified transfer behind tcp_stream's payload check (see stream_check.hpp).
//
// Each connection starts with its 8-byte seed (little-endian), then bytes_per_flow bytes of
// stream(seed). The receiver learns the seed from the head, checks every byte past it and the
// count at EOF; the sender picks distinct seeds, so bytes crossing from one connection into
// another show too. Both ends are child processes placed like the load's (namespace, datapath
// cgroup, CPU) and pass the datapath's readiness barrier for every connection before a byte
// moves. The client writes with blocking sockets, one message per flow in turn; the server
// drains whichever connection is readable, so neither can stall the other. A flow is complete
// when its last byte is checked; the server then closes, and the client, which never half-closes,
// waits for that close. Both ends run on the socket-workload scaffold (socket_pair.hpp); a flow
// that ends short, sends more, breaks or does not finish in time is the check's failure, with
// the counts the server had.
#include "benchlab/workloads/stream_check.hpp"

#include <endian.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/topology.hpp"
#include "benchlab/workloads/socket_pair.hpp"
#include "benchlab/workloads/tcp_common.hpp"

namespace benchlab::workloads {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& what, int err) { throw RunError(what + ": " + std::strerror(err)); }

void set_blocking_with_timeout(int fd, double seconds) {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) fail("fcntl(O_NONBLOCK)", errno);
  timeval tv{};
  tv.tv_sec = time_t(seconds);
  tv.tv_usec = suseconds_t((seconds - double(tv.tv_sec)) * 1e6);
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) fail("setsockopt(SO_SNDTIMEO)", errno);
}

// The receiver's state for one connection.
struct Incoming {
  UniqueFd fd;
  uint64_t got = 0;          // bytes read, the seed included
  uint8_t head[kSeedBytes] = {};
  uint64_t seed = 0;
  bool done = false;
};

json server_body(ChildChannel& ch, const SockAddr& at, const Datapath& dp, uint32_t flows, uint64_t per_flow,
                 size_t read_size, double deadline_s) {
  UniqueFd lfd = tcp_listen(at, int(std::min<uint32_t>(flows, 4096)));
  ch.ready();
  std::vector<Incoming> conns(flows);
  for (auto& c : conns) {
    for (;;) {
      if (!wait_readable(lfd.get(), deadline_s)) throw RunError("payload check: no connection from the client in time");
      int fd = ::accept4(lfd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        c.fd.reset(fd);
        break;
      }
      if (errno != EAGAIN && errno != EINTR) fail("payload check: accept", errno);
    }
    dp.await_socket(c.fd.get());
  }
  const uint64_t want = kSeedBytes + per_flow;
  std::vector<uint8_t> buf(read_size), expect(read_size);
  std::vector<pollfd> pfds(flows);
  uint64_t bytes = 0, bad = 0;
  std::string first;
  auto differed = [&] { return bad ? fmt::format(" ({} reads differed, the first at {})", bad, first) : std::string(); };
  // One read from flow i: checks its bytes; returns why the check failed, or "".
  auto take = [&](size_t i) -> std::string {
    Incoming& c = conns[i];
    ssize_t r = ::recv(c.fd.get(), buf.data(), buf.size(), 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return {};
    if (r < 0) return fmt::format("payload check: flow {}: recv: {}{}", i, std::strerror(errno), differed());
    if (r == 0)
      return fmt::format("payload check: flow {} ended after {} of {} bytes{}", i,
                         c.got < kSeedBytes ? 0 : c.got - kSeedBytes, per_flow, differed());
    if (c.got + uint64_t(r) > want) return fmt::format("payload check: flow {} sent more than its {} bytes", i, per_flow);
    size_t k = 0;
    for (; k < size_t(r) && c.got < kSeedBytes; ++k, ++c.got) c.head[c.got] = buf[k];
    if (c.got == kSeedBytes && k > 0) {
      uint64_t le;
      std::memcpy(&le, c.head, sizeof le);
      c.seed = le64toh(le);
    }
    if (k < size_t(r)) {
      const uint64_t off = c.got - kSeedBytes;
      const size_t len = size_t(r) - k;
      stream_fill(c.seed, off, expect.data(), len);
      if (std::memcmp(expect.data(), buf.data() + k, len) != 0) {
        ++bad;
        if (first.empty()) {
          size_t at = 0;
          while (at < len && expect[at] == buf[k + at]) ++at;
          first = fmt::format("flow {} byte {}", i, off + at);
        }
      }
      c.got += len;
      bytes += len;
    }
    if (c.got == want) c.done = true;   // complete: the client waits for our close, not we for its FIN
    return {};
  };
  std::string failure;
  for (size_t open = flows; open && failure.empty();) {
    for (size_t i = 0; i < flows; ++i) pfds[i] = {conns[i].done ? -1 : conns[i].fd.get(), POLLIN, 0};
    double left = deadline_s - mono_now_s();
    if (left <= 0) {
      failure = fmt::format("payload check: timed out with {} of {} flows unfinished{}", open, flows, differed());
      break;
    }
    int n = ::poll(pfds.data(), pfds.size(), int(std::ceil(left * 1e3)));
    if (n < 0 && errno != EINTR) fail("poll", errno);
    for (size_t i = 0; n > 0 && i < flows && failure.empty(); ++i) {
      if (!pfds[i].revents) continue;
      failure = take(i);
      if (conns[i].done) --open;
    }
  }
  json out{{"bytes", bytes}, {"bad_reads", bad}, {"first_mismatch", first}};
  if (!failure.empty()) out["failure"] = failure;
  return out;
}

json client_body(ChildChannel& ch, const SockAddr& to, const Datapath& dp, uint32_t flows, uint64_t per_flow,
                 size_t write_size, double deadline_s) {
  std::random_device rd;
  const uint64_t nonce = (uint64_t(rd()) << 32) ^ rd();
  std::vector<UniqueFd> fds;
  std::vector<uint64_t> seeds;
  for (uint32_t i = 0; i < flows; ++i) {
    UniqueFd fd = tcp_socket(to.family());
    if (!tcp_connect_start(fd.get(), to)) tcp_connect_wait(fd.get(), to, deadline_s);
    fds.push_back(std::move(fd));
    seeds.push_back(mix64(nonce + i));
  }
  for (auto& fd : fds) {
    dp.await_socket(fd.get());
    set_blocking_with_timeout(fd.get(), std::max(0.001, deadline_s - mono_now_s()));
  }
  ch.ready();
  std::vector<uint8_t> buf(kSeedBytes + write_size);
  auto send_all = [&](int fd, const uint8_t* p, size_t n, uint32_t flow) {
    while (n) {
      ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        throw RunError(fmt::format("payload check: flow {}: send timed out", flow));
      if (w < 0) fail(fmt::format("payload check: flow {}: send", flow), errno);
      p += w, n -= size_t(w);
    }
  };
  // The seed travels with the first message, so the first write is as large as the others.
  std::vector<uint64_t> sent(flows, 0);
  for (bool more = true; more;) {
    more = false;
    for (uint32_t i = 0; i < flows; ++i) {
      if (sent[i] == per_flow) continue;
      size_t head = 0;
      if (sent[i] == 0) {
        const uint64_t le = htole64(seeds[i]);
        std::memcpy(buf.data(), &le, kSeedBytes);
        head = kSeedBytes;
      }
      const size_t n = size_t(std::min<uint64_t>(write_size, per_flow - sent[i]));
      stream_fill(seeds[i], sent[i], buf.data() + head, n);
      send_all(fds[i].get(), buf.data(), head + n, i);
      sent[i] += n;
      more |= sent[i] < per_flow;
    }
  }
  // No half-close: the server knows the length and closes once it has every byte. A FIN sent
  // now could overtake bytes a datapath still holds (sockmap-skb's relay cannot order it behind
  // its redirects), and closing first could reset a connection with bytes unread.
  for (uint32_t i = 0; i < flows; ++i) {
    uint8_t b;
    for (;;) {
      if (!wait_readable(fds[i].get(), deadline_s)) throw RunError("payload check: the server did not close in time");
      ssize_t r = ::recv(fds[i].get(), &b, 1, MSG_DONTWAIT);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) break;
    }
  }
  return json::object();
}

}  // namespace

void stream_fill(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n) {
  while (n) {
    const uint64_t word = offset / 8;
    const size_t in = size_t(offset % 8), k = std::min(n, 8 - in);
    const uint64_t v = htole64(mix64(seed ^ mix64(word)));
    std::memcpy(dst, reinterpret_cast<const uint8_t*>(&v) + in, k);
    dst += k, offset += k, n -= k;
  }
}

StreamCheckResult run_stream_check(const WorkloadContext& ctx, uint16_t port, uint64_t bytes_per_flow,
                                   double timeout_s) {
  const uint32_t flows = ctx.cell.integer("flows");
  const size_t msg = std::max<size_t>(1, ctx.cell.integer("message_size"));
  const Datapath& dp = ctx.datapath;
  const double t0 = mono_now_s(), deadline = t0 + timeout_s;
  const SockAddr at = make_sockaddr(ctx.topo.server().addr, port);
  const SocketPairOutcome o = run_socket_pair(ctx, {
      .workload = "",
      .server_role = "payload-check server",
      .client_role = "payload-check client",
      .port = port,
      .server_ready_s = timeout_s,
      .client_ready_s = timeout_s + 1,
      .server = [&](ChildChannel& ch) { return server_body(ch, at, dp, flows, bytes_per_flow, msg, deadline); },
      // A second later than the server's: when bytes go missing the server's timeout, which
      // names what it got, comes first.
      .client =
          [&](ChildChannel& ch, const ConnectTarget& target) {
            return client_body(ch, make_sockaddr(target.addr, target.port), dp, flows, bytes_per_flow, msg,
                               deadline + 1);
          },
      .finish_s = timeout_s + 2,
  });
  StreamCheckResult r;
  const json& rx = o.server.result;
  if (rx.is_object()) {
    r.bytes = rx.value("bytes", uint64_t(0));
    r.bad_reads = rx.value("bad_reads", uint64_t(0));
    r.first_mismatch = rx.value("first_mismatch", "");
  }
  r.failure = o.failure("");
  r.seconds = mono_now_s() - t0;
  return r;
}

}  // namespace benchlab::workloads
