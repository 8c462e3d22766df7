// The table of BPF datapaths: name, description, options with defaults, factory, probe. The
// proxies among them (sockmap-skb, proxy-sockmap) are proxy rows (proxy_row) around a sockmap
// mover; the user-space proxies' rows are the proxy module's.
#include "benchlab/bpf/register.hpp"
#include "benchlab/bpf/probes.hpp"

#include "benchlab/bpf/sockhash_redirect.hpp"
#include "benchlab/bpf/sockmap_movers.hpp"
#include "benchlab/bpf/xdp.hpp"
#include "benchlab/proxy/register.hpp"

namespace benchlab::bpf {

namespace {

Support first_failure(std::initializer_list<Support (*)()> probes) {
  for (auto p : probes) {
    Support s = p();
    if (!s.ok) return s;
  }
  return {};
}

// Every BPF datapath passes what its verdicts miss to the kernel stack (never a drop): the
// bytes that took that path are a figure of its own.
std::vector<MetricSpec> miss_metrics() {
  return {{.name = "miss_bytes", .unit = "B", .direction = Direction::lower_is_better, .derivation = Derivation::counter,
           .source = "miss_bytes", .doc = "payload bytes the datapath's verdicts missed (carried by the kernel stack instead)"}};
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

// The sockmap movers' own options and configuration, after the proxy skeleton's (proxy_row).
OptionSpec break_key_option() {
  return {"test_break_key", OptionType::boolean, false,
          "TEST ONLY: the verdict looks up a cookie no socket has, so every skb misses and the "
          "user-space fallback carries the data; the run must then fail its engagement check",
          std::nullopt, std::nullopt, {}};
}

SockmapMoverConfig sockmap_mover_config(const DatapathContext& ctx, const proxy::ProxyConfig& proxy) {
  SockmapMoverConfig cfg;
  cfg.max_connections = proxy.max_connections;
  cfg.ready_timeout = proxy.ready_timeout;
  cfg.test_break_key = ctx.options.get_bool("test_break_key");
  cfg.run_id = ctx.run_id;
  return cfg;
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
      {"stream"},
      {},
      miss_metrics(),
  });
  reg.add(proxy::proxy_row(
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
      {{"memory_floor_pct", OptionType::number, 25.0,
        "memory guard: when MemAvailable falls below this % of MemTotal the relay stops redirecting "
        "(TCP and its flow control carry the rest) and the run fails; the kernel keeps whatever a bulk "
        "sender pushes past the receiver (~0.4 GB per second of load measured here)", 0.0, 100.0, {}},
       break_key_option()},
      [](const std::string& name, const DatapathContext& ctx, const proxy::ProxyConfig& proxy) {
        SockmapMoverConfig cfg = sockmap_mover_config(ctx, proxy);
        cfg.memory_floor = ctx.options.get_number("memory_floor_pct") / 100.0;
        return make_ingress_relay_mover(name, cfg);
      },
      [] { return first_failure({probe_bpf, probe_cgroup_v2, probe_sockops, probe_sk_skb}); }, miss_metrics()));
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
      {"stream"},
      {},
      miss_metrics(),
  });
  reg.add(proxy::proxy_row(
      "proxy-sockmap",
      "TCP proxy, sockmap splicing: the proxy puts both sockets of each connection into a SOCKHASH and "
      "an sk_skb stream verdict redirects every skb to the other socket's egress; user space only "
      "accepts, connects and forwards FINs. Readiness barrier: both sockets enter the redirect table "
      "before either enters the map the verdict is attached to; bytes queued before that are taken by "
      "the verdict (SO_RCVLOWAT kick), not by user space. Miss policy: no peer means SK_PASS and a "
      "counted miss; the proxy then reads and forwards those bytes itself (counted as user-copied), "
      "never a drop. Fails the run unless BPF redirected >=99% of the received bytes and user space "
      "copied <=1%.",
      {break_key_option()},
      [](const std::string& name, const DatapathContext& ctx, const proxy::ProxyConfig& proxy) {
        return make_egress_redirect_mover(name, sockmap_mover_config(ctx, proxy));
      },
      [] { return first_failure({probe_bpf, probe_sk_skb}); }, miss_metrics()));
  register_xdp_datapaths(reg);
}

}  // namespace benchlab::bpf
