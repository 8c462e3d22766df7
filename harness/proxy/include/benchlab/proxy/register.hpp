// Registry rows of the proxy datapaths. Every proxy row has the skeleton's options (proxy_options)
// and its mover's own after them; its factory builds a TcpProxy around the mover the row names.
// This module registers the user-space movers' rows (proxy-copy, proxy-splice); the BPF movers'
// rows (proxy-sockmap, sockmap-skb) live in bpf/src/register.cpp and use proxy_row too.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "benchlab/core/registry.hpp"
#include "benchlab/proxy/tcp_proxy.hpp"

namespace benchlab::proxy {

// The skeleton's options, in the order `benchlab list` prints them.
std::vector<OptionSpec> proxy_options();
// The skeleton's configuration from a datapath context (its options, its cell's placement).
ProxyConfig proxy_config(const DatapathContext& ctx);

// Makes the row's mover; `name` is the row's (every message the mover writes starts with it).
using MakeMover = std::function<std::unique_ptr<Mover>(const std::string& name, const DatapathContext& ctx,
                                                       const ProxyConfig& cfg)>;
// One proxy row: `name`, `description`, the skeleton's options followed by `mover_options`, a
// factory building TcpProxy(proxy_config(ctx), make_mover(...)), `probe`, TCP traffic.
// `metrics`: figures of the mover's own counters, added to the row's (see core/metrics.hpp).
DatapathRegistry::Entry proxy_row(std::string name, std::string description, std::vector<OptionSpec> mover_options,
                                  MakeMover make_mover, std::function<Support()> probe,
                                  std::vector<MetricSpec> metrics = {});

void register_proxy_datapaths(DatapathRegistry& reg);   // proxy-copy, proxy-splice

}  // namespace benchlab::proxy
