// Lifecycle: open the skeleton → set rodata knobs and map size → load → create the run's cgroup
// → attach the verdict program to the sockhash → attach sockops to the cgroup (bpf_link).
// Teardown runs in exactly the reverse order through member destructors.
#include "benchlab/bpf/sockhash_redirect.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <set>
#include <thread>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include "benchlab/core/system_paths.hpp"
#include "benchlab/core/error.hpp"
#include "cgroup_dir.hpp"
#include "internal.hpp"
#include "sockmap_msg.skel.h"
#include "sockmap_skb_pass.skel.h"

namespace benchlab::bpf {

namespace {

const char* mode_name(SockmapMode m) { return m == SockmapMode::msg ? "sockmap-msg" : "sockmap-skb-pass"; }

}  // namespace

const char* carried_bytes_key(SockmapMode m) {
  return m == SockmapMode::msg ? "redirected_bytes" : "delivered_bytes";
}

namespace {

// The loaded object, independent of which of the two skeletons made it.
struct LoadedObject {
  std::function<void()> destroy;
  bpf_program* sockops = nullptr;
  bpf_program* verdict = nullptr;
  bpf_map* sock_hash = nullptr;
  bpf_map* counters = nullptr;
  bpf_attach_type verdict_attach{};
};

template <class Skel>
LoadedObject load(const char* who, Skel* (*open)(const bpf_object_open_opts*), int (*load_fn)(Skel*),
                  void (*destroy)(Skel*), const SockhashRedirectConfig& cfg,
                  bpf_program* (*verdict_prog)(Skel*), bpf_attach_type verdict_attach) {
  install_libbpf_log();
  Skel* skel = open(nullptr);
  if (!skel) {
    const int e = errno;
    throw_load_error(who, "opening the BPF object", e);
  }
  skel->rodata->break_key = cfg.test_break_key;
  int err = bpf_map__set_max_entries(skel->maps.sock_hash, cfg.max_sockets);
  if (!err) err = load_fn(skel);
  if (err) {
    destroy(skel);
    throw_load_error(who, "loading the BPF programs", err);
  }
  LoadedObject o;
  o.destroy = [skel, destroy] { destroy(skel); };
  o.sockops = skel->progs.sockmap_sockops;
  o.verdict = verdict_prog(skel);
  o.sock_hash = skel->maps.sock_hash;
  o.counters = skel->maps.counters;
  o.verdict_attach = verdict_attach;
  return o;
}

}  // namespace

// Members in attach order; C++ destroys them in reverse, which is the teardown order.
struct SockhashRedirect::State {
  struct Object {
    LoadedObject o;
    ~Object() {
      if (o.destroy) o.destroy();
    }
  };
  Object obj;
  std::unique_ptr<CgroupDir> cgroup;
  MapProgAttachment verdict;
  CgroupLinkAttachment sockops;
};

SockhashRedirect::SockhashRedirect(const SockhashRedirectConfig& cfg)
    : mode_(cfg.mode), await_timeout_(cfg.await_timeout), st_(std::make_unique<State>()) {
  const char* who = mode_name(mode_);
  std::string cg_path = run_cgroup_path(cfg.run_id, "sockmap", "sockmap");
  if (mode_ == SockmapMode::msg)
    st_->obj.o = load<sockmap_msg>(who, sockmap_msg__open_opts, sockmap_msg__load, sockmap_msg__destroy,
                                   cfg, [](sockmap_msg* s) { return s->progs.sockmap_msg_verdict; },
                                   BPF_SK_MSG_VERDICT);
  else
    st_->obj.o = load<sockmap_skb_pass>(who, sockmap_skb_pass__open_opts, sockmap_skb_pass__load,
                                        sockmap_skb_pass__destroy, cfg,
                                        [](sockmap_skb_pass* s) { return s->progs.sockmap_skb_pass_verdict; },
                                        BPF_SK_SKB_STREAM_VERDICT);
  const LoadedObject& o = st_->obj.o;

  st_->cgroup = std::make_unique<CgroupDir>(cg_path);

  int prog_fd = bpf_program__fd(o.verdict), map_fd = bpf_map__fd(o.sock_hash);
  if (!st_->verdict.attach(prog_fd, map_fd, o.verdict_attach)) {
    const int e = errno;
    throw_load_error(who, "attaching the verdict program to the sockhash", e);
  }

  if (!st_->sockops.attach(o.sockops, st_->cgroup->fd())) {
    const int e = errno;
    throw_load_error(who, "attaching sockops to " + cg_path, e);
  }
}

SockhashRedirect::~SockhashRedirect() = default;

std::string SockhashRedirect::name() const { return mode_name(mode_); }

std::string SockhashRedirect::workload_cgroup() const { return st_->cgroup->path(); }

int SockhashRedirect::sockhash_fd() const { return bpf_map__fd(st_->obj.o.sock_hash); }

Counters SockhashRedirect::read_counters() const {
  const auto s = sum_percpu<bl_sockmap_counters>(bpf_map__fd(st_->obj.o.counters), 0, name());
  return {
      {"inserted", s.inserted},
      {"insert_errors", s.insert_errors},
      {mode_ == SockmapMode::msg ? "redirected_msgs" : "delivered_skbs", s.redirected},
      {carried_bytes_key(mode_), s.redirected_bytes},
      {"misses", s.misses},
      {"miss_bytes", s.miss_bytes},
      {"redirect_errors", s.redirect_errors},
  };
}

void SockhashRedirect::await_socket(int fd) const {
  bl_sock_key own = sock_key_of(fd, false);
  bl_sock_key peer = reversed(own);
  const uint64_t cookie = socket_cookie(fd, name());

  // The sockhash is the truth: a user-space lookup returns the socket's cookie. (bpftool map
  // dump shows no entries for a sockhash, so it cannot be used to check this by hand.)
  const int map_fd = sockhash_fd();
  bool own_in = false;
  if (poll_with_backoff(
          [&] {
            uint64_t v = 0;
            own_in = bpf_map_lookup_elem(map_fd, &own, &v) == 0 && v == cookie;
            // The peer must be there too, or this socket's first messages would miss.
            return own_in && bpf_map_lookup_elem(map_fd, &peer, &v) == 0;
          },
          std::chrono::duration_cast<std::chrono::milliseconds>(await_timeout_)))
    return;
  double secs = std::chrono::duration<double>(await_timeout_).count();
  throw RunError(fmt::format("{}: {}socket {}: not in sockhash after {:g} s", name(),
                             own_in ? "peer of " : "", to_string(own), secs));
}

// Byte shares are judged over the whole run (this object lives for exactly one run): the sender's
// redirect and the receiver's read of the same bytes can fall on either side of a window edge,
// and what waits in the receiver's queue there is more than 1% of a short, fast window. Over the
// whole run every byte the receiver read was redirected. The link check stays on the window.
Engagement SockhashRedirect::check_engagement(const WindowCounters& delta, const WorkloadResult& r) const {
  const Counters totals = read_counters();
  return evaluate_sockmap_engagement(mode_, delta, r, &totals);
}

// --- keys ----------------------------------------------------------------------------------

namespace {

void put_addr(const sockaddr_storage& ss, uint32_t ip[4], uint32_t* port) {
  std::memset(ip, 0, 16);
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    ip[2] = htonl(0xffff);
    std::memcpy(&ip[3], &sin.sin_addr, 4);
    *port = ntohs(sin.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    std::memcpy(ip, &sin6.sin6_addr, 16);
    *port = ntohs(sin6.sin6_port);
  } else {
    throw RunError("sockmap: socket family " + std::to_string(ss.ss_family) + " is not IPv4/IPv6");
  }
}

std::string addr_str(const uint32_t ip[4], uint32_t port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ip[0] == 0 && ip[1] == 0 && ip[2] == htonl(0xffff)) {
    inet_ntop(AF_INET, &ip[3], buf, sizeof buf);
    return fmt::format("{}:{}", buf, port);
  }
  inet_ntop(AF_INET6, ip, buf, sizeof buf);
  return fmt::format("[{}]:{}", buf, port);
}

}  // namespace

bl_sock_key sock_key_of(int fd, bool peer) {
  sockaddr_storage local{}, remote{};
  socklen_t ll = sizeof local, rl = sizeof remote;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) throw SystemError("getsockname", errno);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &rl) != 0) throw SystemError("getpeername", errno);
  bl_sock_key k{};
  put_addr(local, k.local_ip, &k.local_port);
  put_addr(remote, k.remote_ip, &k.remote_port);
  return peer ? reversed(k) : k;
}

bl_sock_key reversed(const bl_sock_key& k) {
  bl_sock_key r{};
  std::memcpy(r.local_ip, k.remote_ip, sizeof r.local_ip);
  std::memcpy(r.remote_ip, k.local_ip, sizeof r.remote_ip);
  r.local_port = k.remote_port;
  r.remote_port = k.local_port;
  return r;
}

std::string to_string(const bl_sock_key& k) {
  return addr_str(k.local_ip, k.local_port) + "<-" + addr_str(k.remote_ip, k.remote_port);
}

// --- engagement ----------------------------------------------------------------------------

namespace {

std::string pct(double share) { return fmt::format("{:.2f}%", share * 100.0); }

}  // namespace

Engagement evaluate_sockmap_engagement(SockmapMode mode, const WindowCounters& delta, const WorkloadResult& r,
                                       const Counters* totals) {
  const char* who = mode_name(mode);
  Engagement e;
  e.checked = true;

  const bool whole_run = totals != nullptr;
  const Counters& bytes_from = whole_run ? *totals : delta.datapath;
  const char* span = whole_run ? "in the run" : "in the window";
  uint64_t received = 0;
  for (const auto& s : r.samples)
    if (whole_run || (!s.warmup && !s.cooldown)) received += s.bytes;
  // A stream workload's payload check moves its own bytes through the datapath after the load.
  if (whole_run)
    if (auto it = r.extra.find("payload_check_bytes"); it != r.extra.end()) received += uint64_t(it->second);
  uint64_t redirected = counter_or_zero(bytes_from, carried_bytes_key(mode));
  const char* verb = mode == SockmapMode::msg ? "redirected" : "delivered through the psock";
  uint64_t missed = counter_or_zero(bytes_from, "miss_bytes");

  if (received == 0) {
    e.ok = false;
    e.carried_share = 0;
    e.message = fmt::format("{}: the workload received no payload {}, so "
                            "nothing shows the datapath carried it", who, span);
    return e;
  }
  // Both figures are over the measured window. redirected can exceed received: request/response
  // workloads may count one direction only, and data in flight at the window's edges shifts a
  // little either way, which is why the bound is 99% and not 100%.
  double coverage = double(redirected) / double(received);
  double own = redirected + missed ? double(redirected) / double(redirected + missed) : 0.0;
  e.carried_share = std::min({1.0, coverage, own});
  if (coverage < kMinCarriedShare || own < kMinCarriedShare) {
    e.ok = false;
    e.message = fmt::format(
        "{}: {} {} B = {} of the {} B the workload received {}, and {} of the "
        "bytes its verdicts saw ({} B missed the sockhash); at least {} of both are required",
        who, verb, redirected, pct(coverage), received, span, pct(own), missed, pct(kMinCarriedShare));
    return e;
  }

  if (mode == SockmapMode::skb_pass) {
    e.message = fmt::format("{}: {} {} of received bytes ({} B missed); the payload "
                            "crosses the link by design, so link counters prove nothing here",
                            who, verb, pct(std::min(1.0, coverage)), missed);
    return e;
  }

  // From outside BPF: with sk_msg redirection the payload never becomes packets, so the links
  // carry only connection set-up and teardown. Each connection opened in the window inserts two
  // sockets and costs at most ~10 packets (3-way handshake, FIN/ACK each way, a stray ACK), so
  // kLinkPacketsPerSocket = 6 per inserted socket. kLinkSlackPackets absorbs link-local noise
  // (IPv6 ND/MLD on a fresh veth). Any real share of the payload through TCP would exceed this:
  // one packet per message at least, or per 64 KiB of a stream.
  // The topology lists each interface once (loopback's shared lo included).
  uint64_t sockets = counter_or_zero(delta.datapath, "inserted");
  uint64_t allowed = kLinkSlackPackets + kLinkPacketsPerSocket * sockets;
  if (delta.links.empty()) {
    e.message = fmt::format("{}: redirected {} of received bytes; no link counters were given, so "
                            "only BPF's own counters were checked", who, pct(std::min(1.0, coverage)));
    return e;
  }
  uint64_t link_rx = 0;
  std::string ifs;
  for (const LinkCounters& l : delta.links) {
    link_rx += l.rx_packets;
    ifs += (ifs.empty() ? "" : "+") + l.ifname;
  }
  if (link_rx > allowed) {
    e.ok = false;
    e.message = fmt::format(
        "{}: BPF counted {} of received bytes as redirected, but {} received {} packets in the "
        "window, more than the {} allowed for connection set-up/teardown ({} + {} per socket "
        "inserted): the payload went through TCP/IP", who, pct(std::min(1.0, coverage)), ifs,
        link_rx, allowed, kLinkSlackPackets, kLinkPacketsPerSocket);
    return e;
  }
  e.message = fmt::format("{}: redirected {} of received bytes; {} received {} packets (≤ {} allowed)",
                          who, pct(std::min(1.0, coverage)), ifs, link_rx, allowed);
  return e;
}

}  // namespace benchlab::bpf
