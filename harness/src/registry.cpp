#include "benchlab/builtin_registries.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "benchlab/bpf/register.hpp"
#include "benchlab/netns/topology.hpp"
#include "benchlab/kernel_datapath.hpp"
#include "benchlab/proxy/register.hpp"
#include "benchlab/workloads/tcp.hpp"
#include "benchlab/workloads/udp_flood.hpp"

namespace benchlab {
namespace {

Support probe_netns() {
  if (geteuid() != 0) return {false, "needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) to create network namespaces"};
  struct stat st;
  if (stat("/proc/self/ns/net", &st) != 0) return {false, "kernel without network namespaces (CONFIG_NET_NS)"};
  return {};
}

OptionSpec family_option() {
  return {.name = "family", .type = OptionType::string, .default_value = std::string("ipv4"),
          .doc = "address family of the endpoints (198.18.0.0/15 or 2001:2::/48)", .choices = {"ipv4", "ipv6"}};
}

TopologyOptions with_values(TopologyOptions o, const OptionValues& v) {
  o.family = v.get_string("family") == "ipv6" ? Family::ipv6 : Family::ipv4;
  if (v.has("mtu")) o.mtu = int(v.get_int("mtu"));
  return o;
}

void register_topologies(TopologyRegistry& reg) {
  reg.add({
      .name = "loopback",
      .description = "one benchlab namespace; both ends on its lo (198.18.0.1 or 2001:2::1)",
      .options = {family_option()},
      .factory = [](const TopologyOptions& o, const OptionValues& v) { return netns::make_loopback(with_values(o, v)); },
      .probe = probe_netns,
  });
  reg.add({
      .name = "veth",
      .description = "two benchlab namespaces joined by a veth pair, static neighbours",
      .options = {family_option(),
                  {.name = "mtu", .type = OptionType::integer, .default_value = int64_t(1500),
                   .doc = "MTU of both veth ends", .min = 1280, .max = 65535}},
      .factory = [](const TopologyOptions& o, const OptionValues& v) { return netns::make_veth(with_values(o, v)); },
      .probe = probe_netns,   // veth may be built in: a failed create says why
  });
  reg.add({
      .name = "veth-packet",
      .description = "two benchlab namespaces joined by a veth pair for packet workloads: endpoints generator "
                     "(198.18.0.1 / 2001:2::1) and dut (.2 / ::2), static neighbours",
      .options = {family_option(),
                  {.name = "mtu", .type = OptionType::integer, .default_value = int64_t(1500),
                   .doc = "MTU of both veth ends", .min = 1280, .max = 3498},
                  {.name = "dut_gro", .type = OptionType::boolean, .default_value = true,
                   .doc = "GRO on the DUT end, which turns its veth NAPI on: frames sent into the pair with XDP_TX "
                          "(the live-frames engine) are accepted only when the DUT has NAPI (GRO or a native XDP "
                          "program); a cell where neither holds is refused rather than lose frames silently"}},
      .factory = [](const TopologyOptions& o, const OptionValues& v) {
        return netns::make_veth_packet(with_values(o, v), v.get_bool("dut_gro"));
      },
      .probe = probe_netns,
  });
}

Registries make_builtins() {
  Registries r;
  register_topologies(r.topologies);
  register_kernel_datapath(r.datapaths);
  proxy::register_proxy_datapaths(r.datapaths);
  bpf::register_bpf_datapaths(r.datapaths);
  workloads::register_tcp_stream(r.workloads);
  workloads::register_tcp_rr(r.workloads);
  workloads::register_udp_flood(r.workloads);
  return r;
}

}  // namespace

const Registries& builtin_registries() {
  static const Registries r = make_builtins();
  return r;
}

}  // namespace benchlab
