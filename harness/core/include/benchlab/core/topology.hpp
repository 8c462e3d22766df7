// The topology interface: the namespaces, interfaces and addresses a cell runs on, as the rest
// of benchlab sees them. `netns/` implements it (loopback, veth); datapaths and workloads only
// ever read these records. A topology knows nothing about the load that will cross it: it names
// its endpoints by role, each with its namespace, interface, address and MAC, and tears
// everything down in reverse order when destroyed.
#pragma once

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace benchlab {

enum class Family { ipv4, ipv6 };
std::string to_string(Family f);   // "ipv4" / "ipv6"

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

// A network namespace a process can enter (setns(fd(), CLONE_NEWNET)). Implemented by netns/.
class NetNamespace {
 public:
  virtual ~NetNamespace() = default;
  virtual const std::string& name() const = 0;
  virtual int fd() const = 0;
  // Runs fn on a new thread that has entered this namespace (setns on that thread only, never
  // the caller's); rethrows fn's exception.
  virtual void run_in(const std::function<void()>& fn) const = 0;
};

// One end of the topology, by role ("client", "server"; packet topologies add "generator",
// "dut", "sink").
struct Endpoint {
  std::string role;
  const NetNamespace* ns = nullptr;   // where this end's processes run
  std::string ifname;                 // the interface facing the peer ("lo" or a veth end)
  int ifindex = 0;                    // in ns
  IpAddress addr;                     // this end's address
  std::array<uint8_t, 6> mac{};       // zero for lo
};

struct TopologyOptions {
  Family family = Family::ipv4;
  int mtu = 1500;
  std::string run_id;   // unique per run, part of every name created
};

class Topology {
 public:
  virtual ~Topology() = default;
  virtual std::string kind() const = 0;
  virtual const Endpoint& client() const = 0;
  virtual const Endpoint& server() const = 0;
  // Every distinct interface of the topology, each once, under the role of the endpoint it
  // belongs to (on loopback both ends share `lo`: it appears once, as the client's). Collectors
  // read counters and offloads of exactly these.
  virtual std::vector<const Endpoint*> interfaces() const = 0;
  std::chrono::nanoseconds build_time() const { return build_time_; }

 protected:
  std::chrono::nanoseconds build_time_{0};
};

// The topology's endpoint of `role` among its interfaces(), or nullptr.
inline const Endpoint* find_endpoint(const Topology& t, const std::string& role) {
  for (const Endpoint* e : t.interfaces())
    if (e->role == role) return e;
  return nullptr;
}

}  // namespace benchlab
