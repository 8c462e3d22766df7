#include "benchlab/netns/topology.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "benchlab/core/error.hpp"
#include "benchlab/netns/packet.hpp"
#include "rtnl.hpp"

namespace benchlab::netns {

namespace {

using Clock = std::chrono::steady_clock;

// run_id becomes part of namespace names (files in /run/netns) and of interface names.
void check_run_id(const std::string& run_id) {
  bool ok = !run_id.empty() && run_id.size() <= 200 &&
            std::all_of(run_id.begin(), run_id.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.';
            });
  if (!ok)
    throw RunError("topology: run_id '" + run_id +
                   "' must be 1-200 characters of letters, digits, '-', '_' or '.'");
}

// "bl" + id + "c" must fit IFNAMSIZ-1 = 15 characters. The run's own alphanumerics are used when
// they fit (readable in `ip -all netns exec ip link`); longer ids are hashed. Uniqueness is not
// required for correctness, since each run's links live in that run's namespaces.
std::string link_id(const std::string& run_id) {
  std::string alnum;
  for (char c : run_id)
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) alnum += c;
    else if (c >= 'A' && c <= 'Z') alnum += char(c - 'A' + 'a');
  if (!alnum.empty() && alnum.size() <= 12) return alnum;
  uint64_t h = 1469598103934665603ull;   // FNV-1a
  for (unsigned char c : run_id) h = (h ^ c) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(h & 0xffffffffffffull));
  return buf;
}

IpAddress addr(const char* s) { return IpAddress::parse(s); }

class LoopbackTopology final : public Topology {
 public:
  static std::unique_ptr<Topology> build(const TopologyOptions& opts) {
    check_run_id(opts.run_id);
    const auto t0 = Clock::now();
    std::unique_ptr<LoopbackTopology> t(new LoopbackTopology);
    const bool v6 = opts.family == Family::ipv6;
    t->ns_ = Netns::create(std::string(kNamePrefix) + opts.run_id + "-lo");
    Endpoint ep;
    ep.role = "client";
    ep.ns = t->ns_.get();
    ep.ifname = "lo";
    ep.addr = addr(v6 ? "2001:2::1" : "198.18.0.1");
    t->ns_->run_in([&] {
      rtnl::Socket s;
      ep.ifindex = rtnl::get_link(s, "lo").ifindex;
      rtnl::add_address(s, ep.ifindex, ep.addr, v6 ? 128 : 32);
    });
    t->client_ = ep;
    t->server_ = ep;
    t->server_.role = "server";
    t->build_time_ = Clock::now() - t0;
    return t;
  }

  std::string kind() const override { return "loopback"; }
  const Endpoint& client() const override { return client_; }
  const Endpoint& server() const override { return server_; }
  std::vector<const Endpoint*> interfaces() const override { return {&client_}; }

 private:
  LoopbackTopology() = default;
  std::unique_ptr<Netns> ns_;
  Endpoint client_, server_;
};

// The veth pair as a resource: deleting one end removes both, synchronously, so the namespaces
// dropped afterwards hold no device and their teardown does not depend on the kernel's
// asynchronous netns cleanup.
class VethLink {
 public:
  VethLink() = default;
  VethLink(const VethLink&) = delete;
  VethLink& operator=(const VethLink&) = delete;
  ~VethLink() { remove(); }
  void created(const NetNamespace* ns, std::string name) { ns_ = ns; name_ = std::move(name); }
  void remove() noexcept {
    if (!ns_) return;
    int rc = 0;
    try {
      ns_->run_in([&] {
        rtnl::Socket s;
        rc = rtnl::delete_link(s, name_);
      });
    } catch (const std::exception& e) {
      std::fprintf(stderr, "benchlab: deleting veth %s in %s: %s\n", name_.c_str(), ns_->name().c_str(), e.what());
    }
    if (rc < 0 && rc != -ENODEV)
      std::fprintf(stderr, "benchlab: deleting veth %s in %s: %s\n", name_.c_str(), ns_->name().c_str(), std::strerror(-rc));
    ns_ = nullptr;
  }

 private:
  const NetNamespace* ns_ = nullptr;
  std::string name_;
};

// The roles and namespace suffixes of a veth topology's two ends: client/server ("-c", "-s") or,
// for packet workloads, generator/dut ("-g", "-d").
struct VethRoles {
  const char* kind;
  const char* first_role;
  const char* second_role;
  char first_suffix, second_suffix;
};
constexpr VethRoles kSocketVeth{"veth", "client", "server", 'c', 's'};
constexpr VethRoles kPacketVeth{"veth-packet", "generator", "dut", 'g', 'd'};

class VethTopology final : public Topology {
 public:
  static std::unique_ptr<Topology> build(const TopologyOptions& opts, const VethRoles& roles = kSocketVeth,
                                         bool second_gro = false) {
    check_run_id(opts.run_id);
    const auto t0 = Clock::now();
    // On any throw below, ~VethTopology undoes whatever was built so far.
    std::unique_ptr<VethTopology> t(new VethTopology);
    const bool v6 = opts.family == Family::ipv6;
    const int prefix = v6 ? 64 : 30;
    const std::string id = link_id(opts.run_id);
    t->roles_ = roles;
    t->client_ns_ = Netns::create(std::string(kNamePrefix) + opts.run_id + "-" + roles.first_suffix);
    t->server_ns_ = Netns::create(std::string(kNamePrefix) + opts.run_id + "-" + roles.second_suffix);

    Endpoint& c = t->client_;
    Endpoint& s = t->server_;
    c.role = roles.first_role;
    s.role = roles.second_role;
    c.ns = t->client_ns_.get();
    s.ns = t->server_ns_.get();
    c.ifname = "bl" + id + roles.first_suffix;
    s.ifname = "bl" + id + roles.second_suffix;
    c.addr = addr(v6 ? "2001:2::1" : "198.18.0.1");
    s.addr = addr(v6 ? "2001:2::2" : "198.18.0.2");

    // Created from inside the client namespace with the peer placed straight into the server
    // namespace: neither end ever exists in the caller's namespace.
    c.ns->run_in([&] {
      rtnl::Socket sock;
      rtnl::add_veth(sock, c.ifname, s.ifname, opts.mtu, s.ns->fd());
      t->veth_.created(c.ns, c.ifname);
      rtnl::LinkInfo li = rtnl::get_link(sock, c.ifname);
      c.ifindex = li.ifindex;
      c.mac = li.mac;
      rtnl::set_link_up(sock, c.ifname, true);
      rtnl::add_address(sock, c.ifindex, c.addr, prefix);
    });
    s.ns->run_in([&] {
      rtnl::Socket sock;
      rtnl::LinkInfo li = rtnl::get_link(sock, s.ifname);
      s.ifindex = li.ifindex;
      s.mac = li.mac;
      rtnl::set_link_up(sock, s.ifname, true);
      rtnl::add_address(sock, s.ifindex, s.addr, prefix);
      rtnl::add_permanent_neighbour(sock, s.ifindex, c.addr, c.mac);
    });
    // GRO on the receiving end turns its veth NAPI on (see packet.hpp).
    if (second_gro) set_gro(s, true);
    c.ns->run_in([&] {
      rtnl::Socket sock;
      rtnl::add_permanent_neighbour(sock, c.ifindex, s.addr, s.mac);
    });
    t->build_time_ = Clock::now() - t0;
    return t;
  }

  ~VethTopology() override {
    veth_.remove();
    server_ns_.reset();
    client_ns_.reset();
  }

  std::string kind() const override { return roles_.kind; }
  const Endpoint& client() const override { return client_; }
  const Endpoint& server() const override { return server_; }
  std::vector<const Endpoint*> interfaces() const override { return {&client_, &server_}; }

 private:
  VethTopology() = default;
  VethRoles roles_ = kSocketVeth;
  std::unique_ptr<Netns> client_ns_, server_ns_;
  VethLink veth_;
  Endpoint client_, server_;
};

}  // namespace

std::unique_ptr<Topology> make_loopback(const TopologyOptions& opts) { return LoopbackTopology::build(opts); }

std::unique_ptr<Topology> make_veth(const TopologyOptions& opts) { return VethTopology::build(opts); }

std::unique_ptr<Topology> make_veth_packet(const TopologyOptions& opts, bool dut_gro) {
  return VethTopology::build(opts, kPacketVeth, dut_gro);
}

}  // namespace benchlab::netns
