// The proxy rows of the registry table: the skeleton's options and factory, shared by every
// proxy row, and the user-space movers' rows.
#include "benchlab/proxy/register.hpp"

#include <unistd.h>

#include "benchlab/proxy/user_space_movers.hpp"

namespace benchlab::proxy {

std::vector<OptionSpec> proxy_options() {
  return {
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
}

ProxyConfig proxy_config(const DatapathContext& ctx) {
  ProxyConfig cfg;
  int64_t cpu = ctx.options.get_int("proxy_cpu");
  cfg.cpu = cpu >= 0   ? int(cpu)
            : cpu == -1 ? ctx.cpus.of("proxy")
                        : -1;
  cfg.port_offset = uint16_t(ctx.options.get_int("port_offset"));
  cfg.max_connections = uint32_t(ctx.options.get_int("max_connections"));
  cfg.ready_timeout = std::chrono::milliseconds(ctx.options.get_int("ready_timeout_ms"));
  cfg.max_lifetime_s = ctx.options.get_number("max_lifetime_s");
  cfg.test_bypass = ctx.options.get_bool("test_bypass");
  return cfg;
}

DatapathRegistry::Entry proxy_row(std::string name, std::string description, std::vector<OptionSpec> mover_options,
                                  MakeMover make_mover, std::function<Support()> probe,
                                  std::vector<MetricSpec> metrics) {
  std::vector<OptionSpec> options = proxy_options();
  options.insert(options.end(), mover_options.begin(), mover_options.end());
  DatapathFactory factory = [name, make_mover](const DatapathContext& ctx) -> std::unique_ptr<Datapath> {
    const ProxyConfig cfg = proxy_config(ctx);
    return std::make_unique<TcpProxy>(cfg, make_mover(name, ctx, cfg));
  };
  return {std::move(name), std::move(description), std::move(options), std::move(factory), std::move(probe),
          {"stream"}, {}, std::move(metrics)};
}

namespace {

OptionSpec buffer_option(const char* doc) {
  return {"buffer_bytes", OptionType::integer, int64_t(65536), doc, 4096.0, double(16 << 20), {}};
}

uint32_t buffer_bytes(const DatapathContext& ctx) { return uint32_t(ctx.options.get_int("buffer_bytes")); }

}  // namespace

void register_proxy_datapaths(DatapathRegistry& reg) {
  reg.add(proxy_row(
      "proxy-copy",
      "TCP proxy, user-space copy: client → proxy → server, the proxy (a process in the server's "
      "namespace, listening on port + port_offset) moves bytes both ways with epoll and nonblocking "
      "read()/write(), one buffer per direction, partial writes and half-close handled. Fails the run "
      "unless the proxy forwarded >=99% of the bytes the workload received.",
      {buffer_option("user-space buffer per direction")},
      [](const std::string& name, const DatapathContext& ctx, const ProxyConfig&) {
        return make_copy_mover(name, buffer_bytes(ctx));
      },
      [] { return Support{}; }));
  reg.add(proxy_row(
      "proxy-splice",
      "TCP proxy, splice(2): as proxy-copy, but each direction moves socket → pipe → socket with "
      "SPLICE_F_MOVE|SPLICE_F_NONBLOCK, so the bytes never enter user memory. Fails the run unless "
      "the proxy forwarded >=99% of the bytes the workload received.",
      {buffer_option("pipe size per direction (F_SETPIPE_SZ; capped by /proc/sys/fs/pipe-max-size)")},
      [](const std::string& name, const DatapathContext& ctx, const ProxyConfig&) {
        return make_splice_mover(name, buffer_bytes(ctx));
      },
      [] { return Support{}; }));
}

}  // namespace benchlab::proxy
