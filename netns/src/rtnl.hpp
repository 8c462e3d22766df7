// Internal: small RAII wrappers over libnl-route-3 and the few rtnetlink operations the
// topologies need. Every function here acts on the namespace of the calling thread, so callers
// use them inside Netns::run_in().
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "benchlab/netns/topology.hpp"

struct nl_sock;
struct rtnl_link;

namespace benchlab::netns::rtnl {

// Maps a libnl error (-NLE_*) to the nearest errno so callers get a SystemError with err().
int nl_to_errno(int nlerr);
[[noreturn]] void throw_nl(const std::string& what, int nlerr);

class Socket {
 public:
  Socket();   // a NETLINK_ROUTE socket in the calling thread's namespace
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  nl_sock* get() const { return sk_; }

 private:
  nl_sock* sk_ = nullptr;
};

struct LinkInfo {
  int ifindex = 0;
  std::array<uint8_t, 6> mac{};
};

LinkInfo get_link(Socket& s, const std::string& ifname);
// Turns off IPv6 address autoconfiguration (no link-local, no DAD/RS/MLD chatter) and then
// brings the link up. `quiet` is skipped silently on kernels without IPv6.
void set_link_up(Socket& s, const std::string& ifname, bool quiet);
// Creates a veth pair in the calling namespace with its peer placed directly in peer_ns_fd.
void add_veth(Socket& s, const std::string& name, const std::string& peer, int mtu, int peer_ns_fd);
// Returns 0 or -errno; -ENODEV when the link is already gone.
int delete_link(Socket& s, const std::string& ifname);
void add_address(Socket& s, int ifindex, const IpAddress& a, int prefixlen);
// A permanent neighbour entry: no ARP/ND for `ip` on ifindex.
void add_permanent_neighbour(Socket& s, int ifindex, const IpAddress& ip, const std::array<uint8_t, 6>& mac);

}  // namespace benchlab::netns::rtnl
