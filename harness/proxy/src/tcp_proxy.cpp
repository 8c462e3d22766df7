// Lifecycle: map the shared counters → take the mover (a BPF mover has already loaded and
// attached its programs) → on the first client_target() for a port, fork the proxy into the
// server's namespace, where it makes its Pump and runs the skeleton, and wait, bounded, until it
// listens. Teardown in reverse through member destructors: kill and reap the proxies (closing
// their sockets releases what the mover set up per socket), destroy the mover, unmap the
// counters.
#include "benchlab/proxy/tcp_proxy.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "benchlab/core/error.hpp"
#include "proxy_loop.hpp"

namespace benchlab::proxy {

void* map_shared_bytes(size_t n) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw SystemError("mmap of a shared counter block", errno);
  return p;
}

void unmap_shared_bytes(void* p, size_t n) { munmap(p, n); }

TcpProxy::TcpProxy(const ProxyConfig& cfg, std::unique_ptr<Mover> mover) : cfg_(cfg), mover_(std::move(mover)) {}

TcpProxy::~TcpProxy() = default;

std::vector<int> TcpProxy::proxy_pids() const {
  std::vector<int> pids;
  for (const auto& [port, child] : proxies_) pids.push_back(child->pid());
  return pids;
}

ConnectTarget TcpProxy::client_target(const Endpoint& server, uint16_t port) const {
  if (cfg_.test_bypass) return {server.addr, port};
  uint32_t proxy_port = uint32_t(port) + cfg_.port_offset;
  if (proxy_port > 65535)
    throw RunError(fmt::format("{}: port {} + port_offset {} is beyond 65535", name(), port, cfg_.port_offset));
  if (proxies_.count(port)) return {server.addr, uint16_t(proxy_port)};

  ProxyLoopConfig lc;
  lc.listen = to_sockaddr(server.addr, uint16_t(proxy_port), &lc.listen_len);
  lc.upstream = to_sockaddr(server.addr, port, &lc.upstream_len);
  lc.max_connections = cfg_.max_connections;
  lc.timeout_ms = int(cfg_.ready_timeout.count());
  lc.max_lifetime_s = cfg_.max_lifetime_s;
  lc.counters = counters_.get();
  const Mover* mover = mover_.get();
  ChildSpec spec;
  spec.role = fmt::format("{} :{}", name(), proxy_port);
  spec.ns = server.ns;
  spec.cpu = cfg_.cpu;
  spec.body = [lc, mover](ChildChannel& ch) -> nlohmann::json {
    std::unique_ptr<Pump> pump = mover->make_pump({.counters = lc.counters, .timeout_ms = lc.timeout_ms});
    run_proxy(lc, *pump, ch);
    return nlohmann::json::object();
  };
  auto child = std::make_unique<ChildProcess>(ChildProcess::spawn(std::move(spec)));
  child->await_ready(Clock::now() + cfg_.ready_timeout);
  proxies_.emplace(port, std::move(child));
  return {server.addr, uint16_t(proxy_port)};
}

Counters TcpProxy::read_counters() const {
  const ProxyCounters& s = *counters_;
  auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  Counters c{
      {"connections", ld(s.connections)},
      {"connect_errors", ld(s.connect_errors)},
      {"c2s_bytes", ld(s.c2s_bytes)},
      {"s2c_bytes", ld(s.s2c_bytes)},
      {"forwarded_bytes", ld(s.c2s_bytes) + ld(s.s2c_bytes)},
      {"user_copied_bytes", ld(s.user_copied_bytes)},
  };
  mover_->add_counters(c);
  return c;
}

// Judged over the whole run, not the window: the proxy counts a byte when it hands it to the
// server's socket, the workload when the server application reads it, and what sits in the
// server's receive queue at the window's edges is more than 1% of a short window at small
// message sizes. Over the whole run every byte the receiver read went through the proxy, so the
// proxy's totals (this object lives for exactly one run) must cover them.
Engagement TcpProxy::check_engagement(const WindowCounters& /*window delta*/, const WorkloadResult& r) const {
  return evaluate_proxy_engagement(name(), mover_->proof(), read_counters(), r, /*whole_run=*/true);
}

// --- engagement ----------------------------------------------------------------------------

namespace {

std::string pct(double share) { return fmt::format("{:.2f}%", share * 100.0); }

// "; c2s_bytes 10 B, s2c_bytes 12 B": the counters the proof names, for the message.
std::string details(const CarryProof& proof, const Counters& delta) {
  std::string s;
  for (const std::string& k : proof.details)
    s += fmt::format("{}{} {} B", s.empty() ? "; " : ", ", k, counter_or_zero(delta, k));
  return s;
}

}  // namespace

Engagement evaluate_proxy_engagement(const std::string& who, const CarryProof& proof, const Counters& delta,
                                     const WorkloadResult& r, bool whole_run) {
  Engagement e;
  e.checked = true;
  uint64_t received = 0;
  for (const auto& s : r.samples)
    if (whole_run || (!s.warmup && !s.cooldown)) received += s.bytes;
  // A stream workload's payload check moves its own bytes through the datapath after the load.
  if (whole_run)
    if (auto it = r.extra.find("payload_check_bytes"); it != r.extra.end()) received += uint64_t(it->second);
  if (received == 0) {
    e.ok = false;
    e.carried_share = 0;
    e.message = fmt::format("{}: the workload received no payload {}, so nothing shows the proxy carried it",
                            who, whole_run ? "in the run" : "in the measured window");
    return e;
  }
  if (proof.veto)
    if (std::string why = proof.veto(who, delta); !why.empty()) {
      e.ok = false;
      e.carried_share = 0;
      e.message = std::move(why);
      return e;
    }
  // Carried bytes count both directions and the workload may count one (request/response),
  // so coverage can exceed 1; bytes in flight at the window's edges make 99%, not 100%.
  const uint64_t carried = counter_or_zero(delta, proof.carried_counter);
  const double coverage = double(carried) / double(received);
  e.carried_share = std::min(1.0, coverage);
  if (coverage < kMinProxyCarriedShare) {
    e.ok = false;
    e.message = fmt::format("{}: {} {} B = {} of the {} B the workload received {}; at least {} is required "
                            "(did the client bypass the proxy?){}", who, proof.carried_by, carried, pct(coverage),
                            received, whole_run ? "in the run" : "in the window", pct(kMinProxyCarriedShare),
                            details(proof, delta));
    return e;
  }
  if (proof.max_user_copy_share) {
    const uint64_t copied = counter_or_zero(delta, "user_copied_bytes");
    const double copied_share = double(copied) / double(received);
    if (copied_share > *proof.max_user_copy_share) {
      e.ok = false;
      e.message = fmt::format("{}: {} {} of received bytes, but the proxy's user space copied {} B = {} of them "
                              "(at most {} allowed){}", who, proof.carried_by, pct(e.carried_share), copied,
                              pct(copied_share), pct(*proof.max_user_copy_share), details(proof, delta));
      return e;
    }
  }
  e.message = fmt::format("{}: {} {} B ≥ {} of the {} B received{}", who, proof.carried_by, carried,
                          pct(kMinProxyCarriedShare), received, details(proof, delta));
  return e;
}

}  // namespace benchlab::proxy
