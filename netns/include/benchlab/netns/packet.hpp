// What packet workloads need from the interfaces of a packet topology, beyond the topology
// itself: the veth's receive NAPI (is it on, its kernel thread, threaded mode pinned to a CPU),
// GRO on the receiving end, and the driver's own per-queue statistics (ETHTOOL_GSTATS).
//
// Why NAPI matters on veth: frames sent with XDP_TX/XDP_REDIRECT into a veth (the live-frames
// generator's path) are accepted only when the receiving peer's NAPI is on — an XDP program on
// the peer, or GRO enabled there; otherwise the sender's ndo_xdp_xmit refuses them and they are
// lost silently. And in live-frames mode the receiving NAPI runs on the generator's CPU unless
// it is threaded and its thread pinned elsewhere.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "benchlab/core/results.hpp"
#include "benchlab/core/topology.hpp"

namespace benchlab::netns {

// The driver statistics of an endpoint's interface by their ethtool names
// (rx_queue_0_xdp_packets, tx_queue_0_xdp_xmit, ...). Empty for a device without any.
std::map<std::string, uint64_t> read_ethtool_stats(const Endpoint& ep);

// Sums the per-queue veth statistics into the typed fields of `c` (xdp_xmit, xdp_xmit_errors,
// rxq_drops, rxq_xdp_packets, rxq_xdp_drops). Exposed for tests.
void add_queue_stats(const std::map<std::string, uint64_t>& stats, LinkCounters* c);

// One NAPI instance of an interface, from the netdev generic-netlink family.
struct NapiInfo {
  uint32_t id = 0;
  pid_t pid = 0;   // its kernel thread in threaded mode, 0 otherwise
};
// The NAPI instances of the endpoint's interface (none: the device's NAPI is off).
std::vector<NapiInfo> read_napi(const Endpoint& ep);

// GRO on/off on the endpoint's interface (ETHTOOL_SGRO). On veth this also turns its NAPI on.
void set_gro(const Endpoint& ep, bool on);

// Threaded NAPI on an interface, every NAPI thread pinned to one CPU; the destructor puts the
// interface's threaded mode and the threads' affinity back as they were. Throws RunError when
// the interface has no NAPI (nothing to thread) or the kernel refuses.
class ThreadedNapi {
 public:
  ThreadedNapi(const Endpoint& ep, int cpu);
  ~ThreadedNapi();
  ThreadedNapi(const ThreadedNapi&) = delete;
  ThreadedNapi& operator=(const ThreadedNapi&) = delete;

  const std::vector<NapiInfo>& threads() const { return napi_; }
  int cpu() const { return cpu_; }
  bool was_threaded() const { return was_threaded_; }

 private:
  void restore() noexcept;
  const Endpoint& ep_;
  int cpu_;
  bool was_threaded_ = false;
  bool made_threaded_ = false;
  std::vector<NapiInfo> napi_;
  std::vector<std::pair<pid_t, cpu_set_t>> saved_;   // affinity of threads that were there before us
};

// Whether the endpoint's interface is threaded (its sysfs `threaded` attribute).
bool napi_threaded(const Endpoint& ep);

}  // namespace benchlab::netns
