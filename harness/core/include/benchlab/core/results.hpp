// Plain records produced by workloads and collectors. No formatting, no derivation: the
// summary step computes rates and statistics from these, and reporters serialise them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "benchlab/core/histogram.hpp"

namespace benchlab {

// Traffic counted by the receiving side over one interval. Warm-up intervals are kept and
// tagged; summaries use only the measured ones.
struct IntervalSample {
  double start_s = 0;        // relative to the start of the load (warm-up included)
  double duration_s = 0;
  uint64_t bytes = 0;        // payload bytes received
  uint64_t messages = 0;     // application messages received (stream) or responses (rr)
  uint64_t transactions = 0; // completed request/response pairs (rr, crr); 0 for stream
  bool warmup = false;
  bool cooldown = false;     // after the measured window (a tool that counts whole seconds ran on)
  uint64_t packets = 0;      // frames or datagrams received (packet workloads)
  uint64_t drops = 0;        // frames or datagrams the receiving side counted as lost
};

// CPU time of one process over its life (getrusage of the reaped child).
struct ProcessCpu {
  std::string role;          // "client", "server", "proxy", ...
  double user_s = 0;
  double system_s = 0;
  int cpu = -1;              // pinned CPU, -1 if not pinned
};

// What a workload returns. `latency_ns` covers the measured window only. A workload that failed
// (a payload that differed, a peer that died, a timeout) still returns what it gathered, with
// the reason in `failure`; the runner decides the run's status from it.
struct WorkloadResult {
  std::vector<IntervalSample> samples;
  std::optional<Histogram> latency_ns;
  std::vector<ProcessCpu> processes;
  std::map<std::string, double> extra;   // workload-specific raw figures (e.g. iperf retransmits)
  bool payload_checked = false;          // the receiver verified the bytes it got
  uint64_t payload_errors = 0;
  double window_s = 0;                   // length of the measured window actually observed
  std::string failure;                   // why the workload failed, one line ("tcp_rr client: ..."); "" if not
};

// A datapath's own counters (BPF maps summed over CPUs, user-space tallies), by name.
using Counters = std::map<std::string, uint64_t>;
// b - a for every key of b (keys missing from a count from zero; a counter that went backwards
// gives 0).
Counters counter_delta(const Counters& a, const Counters& b);
// The counter `key` of `c`, 0 when it has none.
uint64_t counter_or_zero(const Counters& c, const std::string& key);

// One interface's packet and byte counters, as the collectors read them for every interface of
// the topology (one record per role and interface).
struct LinkCounters {
  std::string role;     // the endpoint's role: "client", "server", ...
  std::string ifname;
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0, rx_dropped = 0, tx_dropped = 0;
  // The driver's per-queue statistics (ETHTOOL_GSTATS), summed over queues; zero for a device
  // without them. On veth: frames this end sent with ndo_xdp_xmit (XDP_TX/REDIRECT into it) and
  // those its peer's ring refused; frames this end's receive queues dropped, ran through XDP, and
  // dropped in XDP.
  uint64_t xdp_xmit = 0, xdp_xmit_errors = 0, rxq_drops = 0, rxq_xdp_packets = 0, rxq_xdp_drops = 0;
  bool operator==(const LinkCounters&) const = default;
};
// b - a, record by record, matched by (role, ifname); a record only in b counts from zero.
std::vector<LinkCounters> link_delta(const std::vector<LinkCounters>& a, const std::vector<LinkCounters>& b);

// What the runner hands a datapath's engagement check: the change over the measured window of
// the datapath's own counters and of every topology interface's counters.
struct WindowCounters {
  Counters datapath;
  std::vector<LinkCounters> links;
};

// Per-CPU jiffies from /proc/stat converted to seconds, at one instant.
struct CpuTimes {
  double user_s = 0, nice_s = 0, system_s = 0, idle_s = 0, iowait_s = 0, irq_s = 0, softirq_s = 0, steal_s = 0;
};
struct CpuSnapshot {
  double mono_s = 0;                     // CLOCK_MONOTONIC at the read
  std::vector<CpuTimes> per_cpu;
};

// Whether the datapath under test really carried the traffic, decided from its own counters.
struct Engagement {
  bool checked = false;      // false: the datapath has nothing to prove (the kernel baseline)
  bool ok = true;
  double carried_share = 1.0;   // share of the workload's bytes/packets seen by the datapath
  std::string message;
};

}  // namespace benchlab
