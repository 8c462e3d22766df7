#include "rtnl.hpp"

#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>

#include "benchlab/core/error.hpp"

namespace benchlab::netns::rtnl {

namespace {

// libnl objects are reference counted; these release exactly the reference we hold.
struct LinkRef {
  rtnl_link* p = nullptr;
  ~LinkRef() { if (p) rtnl_link_put(p); }
};
struct AddrRef {
  nl_addr* p = nullptr;
  ~AddrRef() { if (p) nl_addr_put(p); }
};

int af_of(Family f) { return f == Family::ipv4 ? AF_INET : AF_INET6; }

AddrRef build_ip(const IpAddress& a) {
  AddrRef r{nl_addr_build(af_of(a.family), a.bytes.data(), a.family == Family::ipv4 ? 4 : 16)};
  if (!r.p) throw SystemError("nl_addr_build " + a.str(), ENOMEM);
  return r;
}

}  // namespace

int nl_to_errno(int nlerr) {
  switch (nlerr < 0 ? -nlerr : nlerr) {
    case NLE_INTR: return EINTR;
    case NLE_BAD_SOCK: return EBADF;
    case NLE_AGAIN: return EAGAIN;
    case NLE_NOMEM: return ENOMEM;
    case NLE_EXIST: return EEXIST;
    case NLE_INVAL: return EINVAL;
    case NLE_RANGE: return ERANGE;
    case NLE_MSGSIZE: return EMSGSIZE;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_BUSY: return EBUSY;
    case NLE_NOACCESS: return EACCES;
    case NLE_PERM: return EPERM;
    case NLE_NODEV: return ENODEV;
    default: return EIO;
  }
}

void throw_nl(const std::string& what, int nlerr) {
  throw SystemError(what, nl_to_errno(nlerr));
}

Socket::Socket() {
  sk_ = nl_socket_alloc();
  if (!sk_) throw SystemError("nl_socket_alloc", ENOMEM);
  if (int err = nl_connect(sk_, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sk_);
    throw_nl("connect rtnetlink socket", err);
  }
}

Socket::~Socket() { nl_socket_free(sk_); }

LinkInfo get_link(Socket& s, const std::string& ifname) {
  LinkRef link;
  if (int err = rtnl_link_get_kernel(s.get(), 0, ifname.c_str(), &link.p); err < 0)
    throw_nl("get link " + ifname, err);
  LinkInfo info;
  info.ifindex = rtnl_link_get_ifindex(link.p);
  if (nl_addr* mac = rtnl_link_get_addr(link.p); mac && nl_addr_get_len(mac) == info.mac.size())
    std::memcpy(info.mac.data(), nl_addr_get_binary_addr(mac), info.mac.size());
  return info;
}

void set_link_up(Socket& s, const std::string& ifname, bool quiet) {
  LinkRef orig;
  if (int err = rtnl_link_get_kernel(s.get(), 0, ifname.c_str(), &orig.p); err < 0)
    throw_nl("get link " + ifname, err);
  // The kernel applies IFF_UP before IFLA_AF_SPEC within one request, so the address
  // generation mode must be set in a request of its own, before the link comes up.
  if (quiet) {
    LinkRef change{rtnl_link_alloc()};
    if (!change.p) throw SystemError("rtnl_link_alloc", ENOMEM);
    rtnl_link_inet6_set_addr_gen_mode(change.p, IN6_ADDR_GEN_MODE_NONE);
    int err = rtnl_link_change(s.get(), orig.p, change.p, 0);
    if (err < 0 && err != -NLE_AF_NOSUPPORT && err != -NLE_OPNOTSUPP)
      throw_nl("set addrgenmode none on " + ifname, err);
  }
  LinkRef change{rtnl_link_alloc()};
  if (!change.p) throw SystemError("rtnl_link_alloc", ENOMEM);
  rtnl_link_set_flags(change.p, IFF_UP);
  if (int err = rtnl_link_change(s.get(), orig.p, change.p, 0); err < 0)
    throw_nl("set link " + ifname + " up", err);
}

void add_veth(Socket& s, const std::string& name, const std::string& peer_name, int mtu, int peer_ns_fd) {
  LinkRef link{rtnl_link_veth_alloc()};
  if (!link.p) throw SystemError("rtnl_link_veth_alloc", ENOMEM);
  rtnl_link_set_name(link.p, name.c_str());
  rtnl_link_set_mtu(link.p, static_cast<unsigned>(mtu));
  {
    LinkRef peer{rtnl_link_veth_get_peer(link.p)};   // takes a reference of its own
    rtnl_link_set_name(peer.p, peer_name.c_str());
    rtnl_link_set_mtu(peer.p, static_cast<unsigned>(mtu));
    rtnl_link_set_ns_fd(peer.p, peer_ns_fd);
  }
  if (int err = rtnl_link_add(s.get(), link.p, NLM_F_CREATE | NLM_F_EXCL); err < 0)
    throw_nl("create veth " + name + "/" + peer_name + " (mtu " + std::to_string(mtu) + ")", err);
}

int delete_link(Socket& s, const std::string& ifname) {
  LinkRef link{rtnl_link_alloc()};
  if (!link.p) return -ENOMEM;
  rtnl_link_set_name(link.p, ifname.c_str());
  int err = rtnl_link_delete(s.get(), link.p);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return -ENODEV;
  return err < 0 ? -nl_to_errno(err) : 0;
}

void add_address(Socket& s, int ifindex, const IpAddress& a, int prefixlen) {
  struct AddrObj {
    rtnl_addr* p = rtnl_addr_alloc();
    ~AddrObj() { if (p) rtnl_addr_put(p); }
  } addr;
  if (!addr.p) throw SystemError("rtnl_addr_alloc", ENOMEM);
  AddrRef local = build_ip(a);
  nl_addr_set_prefixlen(local.p, prefixlen);
  rtnl_addr_set_ifindex(addr.p, ifindex);
  rtnl_addr_set_family(addr.p, af_of(a.family));
  if (int err = rtnl_addr_set_local(addr.p, local.p); err < 0) throw_nl("set local " + a.str(), err);
  rtnl_addr_set_prefixlen(addr.p, prefixlen);
  // No duplicate address detection: the address is usable at once and no ND probe is sent.
  if (a.family == Family::ipv6) rtnl_addr_set_flags(addr.p, IFA_F_NODAD);
  if (int err = rtnl_addr_add(s.get(), addr.p, NLM_F_CREATE | NLM_F_EXCL); err < 0)
    throw_nl("add address " + a.str() + "/" + std::to_string(prefixlen) + " on ifindex " +
                 std::to_string(ifindex), err);
}

void add_permanent_neighbour(Socket& s, int ifindex, const IpAddress& ip, const std::array<uint8_t, 6>& mac) {
  struct NeighObj {
    rtnl_neigh* p = rtnl_neigh_alloc();
    ~NeighObj() { if (p) rtnl_neigh_put(p); }
  } neigh;
  if (!neigh.p) throw SystemError("rtnl_neigh_alloc", ENOMEM);
  AddrRef dst = build_ip(ip);
  AddrRef ll{nl_addr_build(AF_LLC, mac.data(), mac.size())};
  if (!ll.p) throw SystemError("nl_addr_build lladdr", ENOMEM);
  rtnl_neigh_set_ifindex(neigh.p, ifindex);
  rtnl_neigh_set_family(neigh.p, af_of(ip.family));
  if (int err = rtnl_neigh_set_dst(neigh.p, dst.p); err < 0) throw_nl("set neighbour " + ip.str(), err);
  rtnl_neigh_set_lladdr(neigh.p, ll.p);
  rtnl_neigh_set_state(neigh.p, NUD_PERMANENT);
  if (int err = rtnl_neigh_add(s.get(), neigh.p, NLM_F_CREATE | NLM_F_REPLACE); err < 0)
    throw_nl("add permanent neighbour " + ip.str() + " on ifindex " + std::to_string(ifindex), err);
}

}  // namespace benchlab::netns::rtnl
