// The table of BPF datapaths: name, description, options with defaults, factory, probe.
#include "benchlab/bpf/register.hpp"

#include "benchlab/bpf/sockhash_redirect.hpp"

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
      "sk_skb stream verdict (no parser): sockops fills the same SOCKHASH; every skb TCP delivers "
      "to a workload socket is looked up by its key and delivered through the socket's psock "
      "ingress queue (SK_PASS; a redirect of a socket's skbs to itself stalls TCP on this kernel). "
      "The payload still crosses TCP/IP and the link; this measures the sk_skb receive path. Miss "
      "policy: socket not in the sockhash gets SK_PASS and a counted miss, never a drop. Fails the "
      "run unless >=99% of received bytes went through a verdict hit.",
      sockmap_options(),
      sockmap_factory(SockmapMode::skb),
      [] { return first_failure({probe_bpf, probe_cgroup_v2, probe_sockops, probe_sk_skb}); },
      {"tcp"},
  });
}

}  // namespace benchlab::bpf
