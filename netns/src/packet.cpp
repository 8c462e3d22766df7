// Packet-topology interface state: ethtool statistics (SIOCETHTOOL), NAPI instances (the netdev
// generic-netlink family), GRO, threaded NAPI. Everything runs inside the endpoint's namespace.
#include "benchlab/netns/packet.hpp"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "benchlab/core/error.hpp"
#include "ethtool_stats.hpp"

namespace benchlab::netns {

namespace {

const NetNamespace& ns_of(const Endpoint& ep, const char* what) {
  if (!ep.ns) throw RunError(std::string(what) + ": endpoint " + ep.ifname + " has no namespace");
  return *ep.ns;
}

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { if (fd >= 0) close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

int ethtool_call(int fd, const std::string& ifname, void* data) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = static_cast<char*>(data);
  return ioctl(fd, SIOCETHTOOL, &ifr) == 0 ? 0 : -errno;
}

// ---- the netdev generic-netlink family (uapi linux/netdev.h; Debian 12's headers predate it) --
constexpr const char* kNetdevFamily = "netdev";
constexpr uint8_t kNetdevCmdNapiGet = 11;      // NETDEV_CMD_NAPI_GET
constexpr uint16_t kNapiIfindex = 1;           // NETDEV_A_NAPI_IFINDEX
constexpr uint16_t kNapiId = 2;                // NETDEV_A_NAPI_ID
constexpr uint16_t kNapiPid = 4;               // NETDEV_A_NAPI_PID

class Genl {
 public:
  Genl() : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC)) {
    if (fd_.fd < 0) throw SystemError("generic netlink socket", errno);
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    if (bind(fd_.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) throw SystemError("bind generic netlink", errno);
  }

  // Sends one request; calls on_msg for every reply message until NLMSG_DONE (dump) or the ack.
  // Returns 0 or -errno from the kernel.
  template <class F>
  int request(uint16_t type, uint8_t cmd, uint16_t flags, const std::vector<std::pair<uint16_t, std::string>>& attrs,
              F&& on_msg) {
    std::string buf(NLMSG_HDRLEN + GENL_HDRLEN, '\0');
    for (const auto& [t, v] : attrs) {
      nlattr a{};
      a.nla_type = t;
      a.nla_len = uint16_t(NLA_HDRLEN + v.size());
      buf.append(reinterpret_cast<const char*>(&a), NLA_HDRLEN);
      buf.append(v);
      buf.append(NLA_ALIGN(v.size()) - v.size(), '\0');
    }
    auto* nh = reinterpret_cast<nlmsghdr*>(buf.data());
    nh->nlmsg_len = uint32_t(buf.size());
    nh->nlmsg_type = type;
    nh->nlmsg_flags = uint16_t(NLM_F_REQUEST | NLM_F_ACK | flags);
    nh->nlmsg_seq = ++seq_;
    auto* gh = reinterpret_cast<genlmsghdr*>(buf.data() + NLMSG_HDRLEN);
    gh->cmd = cmd;
    gh->version = 1;
    if (send(fd_.fd, buf.data(), buf.size(), 0) < 0) return -errno;
    std::vector<char> rx(1 << 16);
    for (;;) {
      ssize_t n = recv(fd_.fd, rx.data(), rx.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return -errno;
      }
      for (auto* h = reinterpret_cast<nlmsghdr*>(rx.data()); NLMSG_OK(h, size_t(n)); h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_seq != seq_) continue;
        if (h->nlmsg_type == NLMSG_DONE) return 0;
        if (h->nlmsg_type == NLMSG_ERROR) {
          auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
          return e->error;   // 0: the ack
        }
        const char* p = static_cast<const char*>(NLMSG_DATA(h)) + GENL_HDRLEN;
        const char* end = reinterpret_cast<const char*>(h) + h->nlmsg_len;
        std::map<uint16_t, std::string> got;
        while (p + NLA_HDRLEN <= end) {
          auto* a = reinterpret_cast<const nlattr*>(p);
          if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end) break;
          got[uint16_t(a->nla_type & NLA_TYPE_MASK)] = std::string(p + NLA_HDRLEN, a->nla_len - NLA_HDRLEN);
          p += NLA_ALIGN(a->nla_len);
        }
        on_msg(got);
      }
    }
  }

  // The family's id, or -errno (-ENOENT: the kernel has no such family).
  int family(const char* name) {
    int id = -ENOENT;
    int rc = request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, {{CTRL_ATTR_FAMILY_NAME, std::string(name) + '\0'}},
                     [&](const std::map<uint16_t, std::string>& a) {
                       auto it = a.find(CTRL_ATTR_FAMILY_ID);
                       if (it != a.end() && it->second.size() >= 2) {
                         uint16_t v;
                         std::memcpy(&v, it->second.data(), 2);
                         id = v;
                       }
                     });
    return rc < 0 ? rc : id;
  }

 private:
  Fd fd_;
  uint32_t seq_ = 0;
};

uint32_t u32_of(const std::string& s) {
  uint32_t v = 0;
  std::memcpy(&v, s.data(), std::min<size_t>(4, s.size()));
  return v;
}

// The device's sysfs attribute `attr`, read or written inside the calling thread's network
// namespace: the thread gets its own mount namespace (unshare) with a sysfs of that network
// namespace over /sys, as `ip netns exec` does for a whole process. Nothing is visible outside
// the thread, and it all goes with the thread.
std::string sysfs_netdev(const std::string& ifname, const char* attr, const std::string* write) {
  if (unshare(CLONE_FS | CLONE_NEWNS) != 0) throw SystemError("unshare mount namespace", errno);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) throw SystemError("make / a slave mount", errno);
  if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    throw SystemError("mount sysfs of the namespace", errno);
  const std::string path = "/sys/class/net/" + ifname + "/" + attr;
  if (write) {
    Fd f(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (f.fd < 0) throw SystemError("open " + path, errno);
    if (::write(f.fd, write->data(), write->size()) < 0) throw SystemError("write '" + *write + "' to " + path, errno);
    return *write;
  }
  std::ifstream in(path);
  if (!in) throw SystemError("read " + path, errno ? errno : EIO);
  std::string v;
  std::getline(in, v);
  return v;
}

std::vector<NapiInfo> napi_in_thread(int ifindex) {
  Genl g;
  int fam = g.family(kNetdevFamily);
  if (fam < 0) throw SystemError("netdev generic-netlink family", -fam);
  std::vector<NapiInfo> out;
  std::string idx(4, '\0');
  uint32_t i = uint32_t(ifindex);
  std::memcpy(idx.data(), &i, 4);
  int rc = g.request(uint16_t(fam), kNetdevCmdNapiGet, NLM_F_DUMP, {{kNapiIfindex, idx}},
                     [&](const std::map<uint16_t, std::string>& a) {
                       auto f = a.find(kNapiIfindex);
                       if (f != a.end() && int(u32_of(f->second)) != ifindex) return;
                       NapiInfo n;
                       if (auto it = a.find(kNapiId); it != a.end()) n.id = u32_of(it->second);
                       if (auto it = a.find(kNapiPid); it != a.end()) n.pid = pid_t(u32_of(it->second));
                       out.push_back(n);
                     });
  if (rc < 0) throw SystemError("netdev napi-get", -rc);
  return out;
}

}  // namespace

std::map<std::string, uint64_t> ethtool_stats_here(const std::string& ifname) {
  std::map<std::string, uint64_t> out;
  {
    Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd.fd < 0) throw SystemError("socket for SIOCETHTOOL", errno);
    alignas(ethtool_sset_info) uint8_t ibuf[sizeof(ethtool_sset_info) + sizeof(uint32_t)] = {};
    auto* info = reinterpret_cast<ethtool_sset_info*>(ibuf);
    info->cmd = ETHTOOL_GSSET_INFO;
    info->sset_mask = 1ull << ETH_SS_STATS;
    if (int rc = ethtool_call(fd.fd, ifname, info); rc != 0) {
      if (rc == -EOPNOTSUPP) return out;
      throw SystemError("ETHTOOL_GSSET_INFO on " + ifname, -rc);
    }
    if (!(info->sset_mask & (1ull << ETH_SS_STATS))) return out;
    const uint32_t n = info->data[0];
    if (n == 0 || n > 65536) return out;
    std::vector<uint8_t> sbuf(sizeof(ethtool_gstrings) + size_t(n) * ETH_GSTRING_LEN);
    auto* strings = reinterpret_cast<ethtool_gstrings*>(sbuf.data());
    strings->cmd = ETHTOOL_GSTRINGS;
    strings->string_set = ETH_SS_STATS;
    strings->len = n;
    if (int rc = ethtool_call(fd.fd, ifname, strings); rc != 0) throw SystemError("ETHTOOL_GSTRINGS on " + ifname, -rc);
    std::vector<uint8_t> vbuf(sizeof(ethtool_stats) + size_t(n) * sizeof(uint64_t));
    auto* stats = reinterpret_cast<ethtool_stats*>(vbuf.data());
    stats->cmd = ETHTOOL_GSTATS;
    stats->n_stats = n;
    if (int rc = ethtool_call(fd.fd, ifname, stats); rc != 0) throw SystemError("ETHTOOL_GSTATS on " + ifname, -rc);
    for (uint32_t i = 0; i < n && i < stats->n_stats; ++i) {
      const char* s = reinterpret_cast<const char*>(strings->data) + size_t(i) * ETH_GSTRING_LEN;
      out[std::string(s, strnlen(s, ETH_GSTRING_LEN))] = stats->data[i];
    }
  }
  return out;
}

std::map<std::string, uint64_t> read_ethtool_stats(const Endpoint& ep) {
  std::map<std::string, uint64_t> out;
  ns_of(ep, "read_ethtool_stats").run_in([&] { out = ethtool_stats_here(ep.ifname); });
  return out;
}

void add_queue_stats(const std::map<std::string, uint64_t>& stats, LinkCounters* c) {
  // veth names them rx_queue_<n>_<what> and tx_queue_<n>_<what>; other drivers use other names
  // and leave these fields at zero.
  auto suffix_of = [](const std::string& k, const char* prefix) -> std::string {
    const size_t pl = std::strlen(prefix);
    if (k.compare(0, pl, prefix) != 0) return {};
    size_t i = pl;
    while (i < k.size() && std::isdigit(static_cast<unsigned char>(k[i]))) ++i;
    if (i == pl || i >= k.size() || k[i] != '_') return {};
    return k.substr(i + 1);
  };
  for (const auto& [k, v] : stats) {
    if (std::string s = suffix_of(k, "tx_queue_"); !s.empty()) {
      if (s == "xdp_xmit") c->xdp_xmit += v;
      else if (s == "xdp_xmit_errors") c->xdp_xmit_errors += v;
    } else if (std::string r = suffix_of(k, "rx_queue_"); !r.empty()) {
      if (r == "drops") c->rxq_drops += v;
      else if (r == "xdp_packets") c->rxq_xdp_packets += v;
      else if (r == "xdp_drops") c->rxq_xdp_drops += v;
    }
  }
}

std::vector<NapiInfo> read_napi(const Endpoint& ep) {
  std::vector<NapiInfo> out;
  ns_of(ep, "read_napi").run_in([&] { out = napi_in_thread(ep.ifindex); });
  return out;
}

void set_gro(const Endpoint& ep, bool on) {
  ns_of(ep, "set_gro").run_in([&] {
    Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd.fd < 0) throw SystemError("socket for SIOCETHTOOL", errno);
    ethtool_value v{};
    v.cmd = ETHTOOL_SGRO;
    v.data = on ? 1 : 0;
    if (int rc = ethtool_call(fd.fd, ep.ifname, &v); rc != 0)
      throw SystemError(std::string("turn GRO ") + (on ? "on" : "off") + " on " + ep.ifname, -rc);
  });
}

bool napi_threaded(const Endpoint& ep) {
  std::string v;
  ns_of(ep, "napi_threaded").run_in([&] { v = sysfs_netdev(ep.ifname, "threaded", nullptr); });
  return !v.empty() && v != "0" && v != "disabled";
}

ThreadedNapi::ThreadedNapi(const Endpoint& ep, int cpu) : ep_(ep), cpu_(cpu) {
  if (read_napi(ep).empty())
    throw RunError("threaded NAPI on " + ep.ifname + ": the interface has no NAPI (on veth: neither GRO nor a native XDP program)");
  was_threaded_ = napi_threaded(ep);
  try {
    if (!was_threaded_) {
      const std::string one = "1";
      ns_of(ep, "threaded NAPI").run_in([&] { sysfs_netdev(ep.ifname, "threaded", &one); });
      made_threaded_ = true;
    }
    napi_ = read_napi(ep);
    for (const NapiInfo& n : napi_) {
      if (n.pid <= 0) throw RunError("threaded NAPI on " + ep.ifname + ": NAPI " + std::to_string(n.id) + " has no thread");
      cpu_set_t old;
      CPU_ZERO(&old);
      if (sched_getaffinity(n.pid, sizeof old, &old) != 0) throw SystemError("affinity of NAPI thread " + std::to_string(n.pid), errno);
      saved_.push_back({n.pid, old});
      if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(n.pid, sizeof set, &set) != 0)
          throw SystemError("pin NAPI thread " + std::to_string(n.pid) + " to CPU " + std::to_string(cpu), errno);
      }
    }
  } catch (...) {
    restore();
    throw;
  }
}

ThreadedNapi::~ThreadedNapi() { restore(); }

void ThreadedNapi::restore() noexcept {
  if (made_threaded_) {
    // Its threads go with threaded mode: nothing else to put back.
    try {
      const std::string zero = "0";
      ep_.ns->run_in([&] { sysfs_netdev(ep_.ifname, "threaded", &zero); });
    } catch (const std::exception& e) {
      std::fprintf(stderr, "benchlab: turning threaded NAPI off on %s: %s\n", ep_.ifname.c_str(), e.what());
    }
  } else {
    for (const auto& [pid, mask] : saved_) sched_setaffinity(pid, sizeof mask, &mask);   // ESRCH: it is gone
  }
  made_threaded_ = false;
  saved_.clear();
}

}  // namespace benchlab::netns
