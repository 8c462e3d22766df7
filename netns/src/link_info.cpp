// Reading an interface's state for the report: counters through rtnetlink, offloads through
// the ethtool ioctl. Both run inside the endpoint's namespace.
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <netlink/route/link.h>

#include "benchlab/core/error.hpp"
#include "benchlab/netns/packet.hpp"
#include "benchlab/netns/topology.hpp"
#include "ethtool_stats.hpp"
#include "rtnl.hpp"

namespace benchlab::netns {

namespace {

const NetNamespace& ns_of(const Endpoint& ep, const char* what) {
  if (!ep.ns) throw RunError(std::string(what) + ": endpoint " + ep.ifname + " has no namespace");
  return *ep.ns;
}

class Ethtool {
 public:
  explicit Ethtool(const std::string& ifname) : ifname_(ifname) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);   // any socket of this netns will do
    if (fd_ < 0) throw SystemError("socket for SIOCETHTOOL", errno);
  }
  ~Ethtool() { close(fd_); }
  Ethtool(const Ethtool&) = delete;
  Ethtool& operator=(const Ethtool&) = delete;

  // 0 or -errno.
  int call(void* data) const {
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname_.c_str(), IFNAMSIZ - 1);
    ifr.ifr_data = static_cast<char*>(data);
    return ioctl(fd_, SIOCETHTOOL, &ifr) == 0 ? 0 : -errno;
  }

  // A legacy on/off query (ETHTOOL_GTSO ...). Absent when the device does not answer it.
  void legacy(std::map<std::string, bool>& out, const char* key, uint32_t cmd) const {
    ethtool_value v{};
    v.cmd = cmd;
    int rc = call(&v);
    if (rc == 0) out[key] = v.data != 0;
    else if (rc != -EOPNOTSUPP) throw SystemError("SIOCETHTOOL on " + ifname_, -rc);
  }

  // Named features from ETHTOOL_GFEATURES, looked up by their ETH_SS_FEATURES strings.
  void features(std::map<std::string, bool>& out, const std::vector<std::string>& wanted) const {
    // ethtool_sset_info ends in a flexible array: one u32 (the set's length) follows it.
    alignas(ethtool_sset_info) uint8_t ibuf[sizeof(ethtool_sset_info) + sizeof(uint32_t)] = {};
    auto* info = reinterpret_cast<ethtool_sset_info*>(ibuf);
    info->cmd = ETHTOOL_GSSET_INFO;
    info->sset_mask = 1ull << ETH_SS_FEATURES;
    if (call(info) != 0 || !(info->sset_mask & (1ull << ETH_SS_FEATURES))) return;
    const uint32_t n = info->data[0];
    if (n == 0 || n > 4096) return;

    std::vector<uint8_t> sbuf(sizeof(ethtool_gstrings) + size_t(n) * ETH_GSTRING_LEN);
    auto* strings = reinterpret_cast<ethtool_gstrings*>(sbuf.data());
    strings->cmd = ETHTOOL_GSTRINGS;
    strings->string_set = ETH_SS_FEATURES;
    strings->len = n;
    if (call(strings) != 0) return;

    const uint32_t blocks = (n + 31) / 32;
    std::vector<uint8_t> fbuf(sizeof(ethtool_gfeatures) + blocks * sizeof(ethtool_get_features_block));
    auto* feats = reinterpret_cast<ethtool_gfeatures*>(fbuf.data());
    feats->cmd = ETHTOOL_GFEATURES;
    feats->size = blocks;
    if (call(feats) != 0) return;

    for (uint32_t i = 0; i < n; ++i) {
      const char* s = reinterpret_cast<const char*>(strings->data) + size_t(i) * ETH_GSTRING_LEN;
      std::string name(s, strnlen(s, ETH_GSTRING_LEN));
      for (const auto& w : wanted)
        if (name == w) out[w] = (feats->features[i / 32].active >> (i % 32)) & 1u;
    }
  }

 private:
  std::string ifname_;
  int fd_ = -1;
};

}  // namespace

LinkCounters read_link_counters(const Endpoint& ep) {
  LinkCounters st;
  st.role = ep.role;
  st.ifname = ep.ifname;
  ns_of(ep, "read_link_counters").run_in([&] {
    rtnl::Socket s;
    rtnl_link* link = nullptr;
    if (int err = rtnl_link_get_kernel(s.get(), ep.ifindex, ep.ifindex ? nullptr : ep.ifname.c_str(), &link); err < 0)
      rtnl::throw_nl("read counters of " + ep.ifname + " in " + ep.ns->name(), err);
    st.rx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
    st.tx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
    st.rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
    st.tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
    st.rx_dropped = rtnl_link_get_stat(link, RTNL_LINK_RX_DROPPED);
    st.tx_dropped = rtnl_link_get_stat(link, RTNL_LINK_TX_DROPPED);
    rtnl_link_put(link);
    // In the same thread: one namespace entry per interface keeps the read short, so the
    // runner's window edges read every counter close together.
    add_queue_stats(ethtool_stats_here(ep.ifname), &st);
  });
  return st;
}

std::map<std::string, bool> read_offloads(const Endpoint& ep) {
  std::map<std::string, bool> out;
  ns_of(ep, "read_offloads").run_in([&] {
    Ethtool et(ep.ifname);
    et.legacy(out, "tso", ETHTOOL_GTSO);
    et.legacy(out, "gso", ETHTOOL_GGSO);
    et.legacy(out, "gro", ETHTOOL_GGRO);
    et.legacy(out, "sg", ETHTOOL_GSG);
    et.legacy(out, "tx-checksum", ETHTOOL_GTXCSUM);
    et.legacy(out, "rx-checksum", ETHTOOL_GRXCSUM);
    ethtool_value flags{};
    flags.cmd = ETHTOOL_GFLAGS;
    if (et.call(&flags) == 0) out["lro"] = (flags.data & ETH_FLAG_LRO) != 0;
    et.features(out, {"rx-gro-hw", "rx-gro-list", "rx-udp-gro-forwarding", "tx-udp-segmentation"});
  });
  return out;
}

}  // namespace benchlab::netns
