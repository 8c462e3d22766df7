// A topology: the namespaces, links and addresses a cell runs on. It knows nothing about the
// load that will cross it: it exposes two endpoints (the "client" and "server" side, or
// generator and reflector for packet workloads) with their namespace, interface, addresses
// and MAC, and tears everything down in reverse order when destroyed.
#pragma once

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "benchlab/netns/netns.hpp"

namespace benchlab::netns {

enum class Family { ipv4, ipv6 };
std::string to_string(Family f);

struct IpAddress {
  Family family = Family::ipv4;
  std::array<uint8_t, 16> bytes{};   // network order; first 4 bytes for IPv4
  std::string str() const;
  static IpAddress parse(const std::string& s);   // throws std::invalid_argument
};

// The socket address of `a` at `port` (AF_INET or AF_INET6); *len gets its length.
sockaddr_storage to_sockaddr(const IpAddress& a, uint16_t port, socklen_t* len);

// True for 198.18.0.0/15 and 2001:2::/48 — the only addresses benchlab may use.
bool is_benchmark_address(const IpAddress& a);

struct Endpoint {
  const Netns* ns = nullptr;   // where this end's processes run
  std::string ifname;          // the interface facing the peer ("lo" or a veth end)
  int ifindex = 0;             // in ns
  IpAddress addr;              // this end's address
  std::array<uint8_t, 6> mac{};  // zero for lo
};

struct TopologyOptions {
  Family family = Family::ipv4;
  int mtu = 1500;
  std::string run_id;          // unique per run, part of every name created
};

class Topology {
 public:
  virtual ~Topology() = default;
  virtual std::string kind() const = 0;
  virtual const Endpoint& client() const = 0;
  virtual const Endpoint& server() const = 0;
  // Interfaces whose counters and offloads belong in the report: (namespace, ifname).
  virtual std::vector<const Endpoint*> interfaces() const = 0;
  std::chrono::nanoseconds build_time() const { return build_time_; }

 protected:
  std::chrono::nanoseconds build_time_{0};
};

// One namespace whose `lo` carries 198.18.0.1/32 (or 2001:2::1/128); both endpoints share it.
std::unique_ptr<Topology> make_loopback(const TopologyOptions& opts);
// Two namespaces joined by a veth pair, 198.18.0.1/30 <-> 198.18.0.2/30 (or 2001:2::1/64 <->
// 2001:2::2/64), with static neighbour entries so no ARP/ND is in the measured path.
std::unique_ptr<Topology> make_veth(const TopologyOptions& opts);

// Packet and byte counters of an interface, read through netlink inside its namespace.
struct LinkStats {
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0, rx_dropped = 0, tx_dropped = 0;
};
LinkStats read_link_stats(const Endpoint& ep);

// Offload state of an interface through the SIOCETHTOOL ioctl inside its namespace (works for
// lo too). Keys: "tso", "gso", "gro", "lro", "sg", "tx-checksum", "rx-checksum", and where the
// kernel names them, "rx-gro-hw", "rx-gro-list", "rx-udp-gro-forwarding", "tx-udp-segmentation".
// A feature the device does not report is absent, not false.
std::map<std::string, bool> read_offloads(const Endpoint& ep);

}  // namespace benchlab::netns
