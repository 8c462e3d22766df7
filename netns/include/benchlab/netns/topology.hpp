// The topologies benchlab builds, implementing the core's Topology interface
// (benchlab/core/topology.hpp), and the readers of an interface's state for the collectors.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "benchlab/core/results.hpp"
#include "benchlab/core/topology.hpp"
#include "benchlab/netns/netns.hpp"

namespace benchlab::netns {

// One namespace whose `lo` carries 198.18.0.1/32 (or 2001:2::1/128); both endpoints share it.
std::unique_ptr<Topology> make_loopback(const TopologyOptions& opts);
// Two namespaces joined by a veth pair, 198.18.0.1/30 <-> 198.18.0.2/30 (or 2001:2::1/64 <->
// 2001:2::2/64), with static neighbour entries so no ARP/ND is in the measured path.
std::unique_ptr<Topology> make_veth(const TopologyOptions& opts);
// The same pair for packet workloads: namespaces "-g" and "-d", endpoints `generator` (198.18.0.1
// or 2001:2::1) and `dut` (.2 / ::2); client() is the generator, server() the DUT. With dut_gro
// the DUT end has GRO on, which turns its veth NAPI on: without it (or a native XDP program on
// the DUT) frames sent into the pair with XDP_TX are refused (see packet.hpp).
std::unique_ptr<Topology> make_veth_packet(const TopologyOptions& opts, bool dut_gro);

// Packet and byte counters of an endpoint's interface, read through netlink inside its
// namespace, as the typed record collectors keep (role and ifname filled in).
LinkCounters read_link_counters(const Endpoint& ep);

// Offload state of an interface through the SIOCETHTOOL ioctl inside its namespace (works for
// lo too). Keys: "tso", "gso", "gro", "lro", "sg", "tx-checksum", "rx-checksum", and where the
// kernel names them, "rx-gro-hw", "rx-gro-list", "rx-udp-gro-forwarding", "tx-udp-segmentation".
// A feature the device does not report is absent, not false.
std::map<std::string, bool> read_offloads(const Endpoint& ep);

}  // namespace benchlab::netns
