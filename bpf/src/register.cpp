// The table of BPF datapaths: name, description, options with defaults, factory, probe.
#include "benchlab/bpf/register.hpp"
#include "benchlab/bpf/probes.hpp"

#include "benchlab/bpf/sockhash_redirect.hpp"
#include "benchlab/bpf/tcp_proxy.hpp"

#include <unistd.h>

namespace benchlab::bpf {

namespace {

Support first_failure(std::initializer_list<Support (*)()> probes) {
  for (auto p : probes) {
    Support s = p();
    if (!s.ok) return s;
  }
  return {};
}

std::vector<OptionSpec> sockmap_options() {
  return {
      {"await_timeout_ms", OptionType::integer, int64_t(2000),
       "how long each workload socket may take to appear in the sockhash before the run fails",
       100.0, 60000.0, {}},
      {"max_sockets", OptionType::integer, int64_t(65536), "sockhash capacity (established sockets)",
       16.0, double(1 << 20), {}},
      {"test_break_key", OptionType::boolean, false,
       "TEST ONLY: corrupt the verdict's lookup key so every lookup misses; the run must then fail "
       "its engagement check", std::nullopt, std::nullopt, {}},
  };
}

DatapathFactory sockmap_factory(SockmapMode mode) {
  return [mode](const DatapathContext& ctx) -> std::unique_ptr<Datapath> {
    SockhashRedirectConfig cfg;
    cfg.mode = mode;
    cfg.run_id = ctx.run_id;
    cfg.await_timeout = std::chrono::milliseconds(ctx.options.get_int("await_timeout_ms"));
    cfg.max_sockets = uint32_t(ctx.options.get_int("max_sockets"));
    cfg.test_break_key = ctx.options.get_bool("test_break_key");
    return std::make_unique<SockhashRedirect>(cfg);
  };
}

std::vector<OptionSpec> proxy_options(ProxyMode mode) {
  std::vector<OptionSpec> o = {
      {"proxy_cpu", OptionType::integer, int64_t(-1),
       "CPU the proxy is pinned to; -1: the cell's server CPU (the proxy is a sidecar in the server's "
       "namespace, so same-core runs all three ends on one CPU and cross-core shares the server's); "
       "-2: not pinned", -2.0, 1023.0, {}},
      {"port_offset", OptionType::integer, int64_t(1000),
       "the proxy for workload port P listens on the server's address at P + port_offset", 1.0, 60000.0, {}},
      {"max_connections", OptionType::integer, int64_t(4096), "connections one proxy holds at once", 1.0,
       1048576.0, {}},
      {"ready_timeout_ms", OptionType::integer, int64_t(2000),
       "bound on the proxy starting to listen, on its upstream connect and on a half-close drain", 100.0,
       60000.0, {}},
      {"max_lifetime_s", OptionType::number, 3600.0,
       "a proxy exits by itself after this long, whatever happens to the run", 1.0, 86400.0, {}},
      {"test_bypass", OptionType::boolean, false,
       "TEST ONLY: client_target() returns the server itself, so the proxy carries nothing and the run "
       "must fail its engagement check", std::nullopt, std::nullopt, {}},
  };
  if (!uses_bpf(mode))
    o.push_back({"buffer_bytes", OptionType::integer, int64_t(65536),
                 mode == ProxyMode::copy ? "user-space buffer per direction" : "pipe size per direction "
                 "(F_SETPIPE_SZ; capped by /proc/sys/fs/pipe-max-size)", 4096.0, double(16 << 20), {}});
  if (mode == ProxyMode::relay)
    o.push_back({"memory_floor_pct", OptionType::number, 25.0,
                 "memory guard: when MemAvailable falls below this % of MemTotal the relay stops redirecting "
                 "(TCP and its flow control carry the rest) and the run fails; the kernel keeps whatever a bulk "
                 "sender pushes past the receiver (~0.4 GB per second of load measured here)", 0.0, 100.0, {}});
  if (uses_bpf(mode))
    o.push_back({"test_break_key", OptionType::boolean, false,
                 "TEST ONLY: the verdict looks up a cookie no socket has, so every skb misses and the "
                 "user-space fallback carries the data; the run must then fail its engagement check",
                 std::nullopt, std::nullopt, {}});
  return o;
}

DatapathFactory proxy_factory(ProxyMode mode) {
  return [mode](const DatapathContext& ctx) -> std::unique_ptr<Datapath> {
    TcpProxyConfig cfg;
    cfg.mode = mode;
    int64_t cpu = ctx.options.get_int("proxy_cpu");
    cfg.cpu = cpu >= 0   ? int(cpu)
              : cpu == -1 ? assign_cpus(ctx.cell.placement, int(sysconf(_SC_NPROCESSORS_ONLN))).server_cpu
                          : -1;
    cfg.port_offset = uint16_t(ctx.options.get_int("port_offset"));
    cfg.max_connections = uint32_t(ctx.options.get_int("max_connections"));
    cfg.ready_timeout = std::chrono::milliseconds(ctx.options.get_int("ready_timeout_ms"));
    cfg.max_lifetime_s = ctx.options.get_number("max_lifetime_s");
    cfg.test_bypass = ctx.options.get_bool("test_bypass");
    cfg.run_id = ctx.run_id;
    if (!uses_bpf(mode)) cfg.buffer_bytes = uint32_t(ctx.options.get_int("buffer_bytes"));
    if (uses_bpf(mode)) cfg.test_break_key = ctx.options.get_bool("test_break_key");
    if (mode == ProxyMode::relay) cfg.memory_floor = ctx.options.get_number("memory_floor_pct") / 100.0;
    return std::make_unique<TcpProxy>(ctx, cfg);
  };
}

}  // namespace

void register_bpf_datapaths(DatapathRegistry& reg) {
  reg.add({
      "sockmap-msg",
      "sk_msg redirect: sockops puts every established TCP socket of the workload's cgroup "
      "(IPv4, IPv6, v4-mapped) into a SOCKHASH keyed by its 4-tuple; on sendmsg() an sk_msg "
      "program hands the data to the peer socket's ingress queue, bypassing TCP/IP. Miss policy: "
      "a peer not in the sockhash gets the normal stack (SK_PASS) and a counted miss, never a drop. "
      "Fails the run unless >=99% of received bytes were redirected and the links carried only "
      "set-up/teardown packets.",
      sockmap_options(),
      sockmap_factory(SockmapMode::msg),
      [] { return first_failure({probe_bpf, probe_cgroup_v2, probe_sockops, probe_sk_msg}); },
      {"tcp"},
  });
  reg.add({
      "sockmap-skb",
      "sk_skb stream-verdict ingress redirect to the peer socket (the kernel's bench_sockmap "
      "rx_verdict_ingress): the client connects to a relay socket in the server's namespace "
      "(port + port_offset) whose other socket connects to the server; sockops puts the workload's "
      "own sockets (the run's cgroup) into a SOCKHASH by 4-tuple, and a verdict on the relay's "
      "sockets redirects every skb with BPF_F_INGRESS straight into the receiving workload socket's "
      "queue. Each byte crosses TCP once, then the redirect; no flow control runs from the receiver "
      "back to the sender. Readiness barrier: both workload sockets in the SOCKHASH and the relay "
      "gated. Miss policy: SK_PASS and a counted miss; the relay then forwards the bytes over TCP "
      "(user-copied), never a drop. Fails the run unless BPF redirected >=99% of the received bytes "
      "and user space copied <=1%.",
      proxy_options(ProxyMode::relay),
      proxy_factory(ProxyMode::relay),
      [] { return first_failure({probe_bpf, probe_cgroup_v2, probe_sockops, probe_sk_skb}); },
      {"tcp"},
  });
  reg.add({
      "sockmap-skb-pass",
      "sk_skb stream verdict on the workload's own sockets (no relay): sockops fills a SOCKHASH; "
      "every skb TCP delivers to a workload socket is looked up by its key and delivered through "
      "the socket's psock ingress queue (SK_PASS; redirecting a socket's skbs to itself stalls TCP "
      "on 6.18). The payload still crosses TCP/IP and the link; this measures the psock receive "
      "path. Miss policy: SK_PASS and a counted miss, never a drop. Fails the run unless >=99% of "
      "received bytes went through a verdict hit.",
      sockmap_options(),
      sockmap_factory(SockmapMode::skb_pass),
      [] { return first_failure({probe_bpf, probe_cgroup_v2, probe_sockops, probe_sk_skb}); },
      {"tcp"},
  });
  reg.add({
      "proxy-copy",
      "TCP proxy, user-space copy: client → proxy → server, the proxy (a process in the server's "
      "namespace, listening on port + port_offset) moves bytes both ways with epoll and nonblocking "
      "read()/write(), one buffer per direction, partial writes and half-close handled. Fails the run "
      "unless the proxy forwarded >=99% of the bytes the workload received.",
      proxy_options(ProxyMode::copy),
      proxy_factory(ProxyMode::copy),
      [] { return Support{}; },
      {"tcp"},
  });
  reg.add({
      "proxy-splice",
      "TCP proxy, splice(2): as proxy-copy, but each direction moves socket → pipe → socket with "
      "SPLICE_F_MOVE|SPLICE_F_NONBLOCK, so the bytes never enter user memory. Fails the run unless "
      "the proxy forwarded >=99% of the bytes the workload received.",
      proxy_options(ProxyMode::splice),
      proxy_factory(ProxyMode::splice),
      [] { return Support{}; },
      {"tcp"},
  });
  reg.add({
      "proxy-sockmap",
      "TCP proxy, sockmap splicing: the proxy puts both sockets of each connection into a SOCKHASH and "
      "an sk_skb stream verdict redirects every skb to the other socket's egress; user space only "
      "accepts, connects and forwards FINs. Readiness barrier: both sockets enter the redirect table "
      "before either enters the map the verdict is attached to; bytes queued before that are taken by "
      "the verdict (SO_RCVLOWAT kick), not by user space. Miss policy: no peer means SK_PASS and a "
      "counted miss; the proxy then reads and forwards those bytes itself (counted as user-copied), "
      "never a drop. Fails the run unless BPF redirected >=99% of the received bytes and user space "
      "copied <=1%.",
      proxy_options(ProxyMode::sockmap),
      proxy_factory(ProxyMode::sockmap),
      [] { return first_failure({probe_bpf, probe_sk_skb}); },
      {"tcp"},
  });
}

}  // namespace benchlab::bpf
