// Every packet accounted for, over the whole run (not the window): what the generator made,
// where each frame went, and whether the counts add up.
//
//   generated = left the generator veth + refused there + lost before leaving
//   left      = handled by the DUT + dropped at the DUT with a reason + unexplained
//
// `left` is the generator veth's ethtool tx_queue_N_xdp_xmit for frames sent with XDP_TX (the
// live-frames engine) and its tx_packets for frames sent by the stack (sendmmsg); `refused` is
// its tx_dropped (on veth it includes tx_queue_N_xdp_xmit_errors: frames the DUT's full ring
// refused, and frames refused because the DUT had no NAPI). Handled: frames the DUT's XDP
// program consumed (its own verdict counters) plus datagrams its UDP socket received. Dropped with
// a reason: the DUT veth's receive-queue drops, the socket's drops (SO_MEMINFO), and the DUT
// namespace's UDP NoPorts and checksum errors (/proc/net/snmp).
// A run fails when either remainder is beyond `tolerance` (0.1%) of the frames generated.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "benchlab/core/results.hpp"

namespace benchlab::workloads {

enum class PacketEngine { live_frames, sendmmsg };
const char* to_string(PacketEngine e);   // "live-frames" / "sendmmsg"

// The raw figures, each a change over the whole run.
struct PacketCounts {
  PacketEngine engine = PacketEngine::live_frames;
  uint64_t generated = 0;        // frames the engine reports it ran or sent
  LinkCounters generator;        // the generator veth
  LinkCounters dut;              // the DUT veth
  uint64_t xdp_consumed = 0;     // frames the DUT's XDP program dropped (its own counters)
  uint64_t socket_received = 0;  // datagrams the DUT's UDP socket read
  uint64_t socket_drops = 0;     // SO_MEMINFO SK_MEMINFO_DROPS of that socket
  uint64_t udp_no_ports = 0;     // /proc/net/snmp Udp(6) NoPorts in the DUT namespace
  uint64_t udp_csum_errors = 0;  // /proc/net/snmp Udp(6) InCsumErrors
};

struct PacketAccount {
  uint64_t generated = 0, left = 0, refused = 0;
  int64_t lost_before_leaving = 0;   // generated - left - refused
  uint64_t handled = 0, dropped = 0;
  int64_t unexplained = 0;           // left - handled - dropped
  bool ok = true;
  std::string message;               // the numbers, one line, when !ok (and when ok, for the report)
  // Every term by name, for the run's extra figures ("acct_generated", ...).
  std::map<std::string, double> figures() const;
};

inline constexpr double kAccountingTolerance = 0.001;
PacketAccount account_packets(const PacketCounts& c, double tolerance = kAccountingTolerance);

// The datapath counters that count frames consumed before the stack (XDP_DROP and XDP_ABORTED
// verdicts of the XDP action programs), summed.
uint64_t xdp_consumed_of(const Counters& datapath);

}  // namespace benchlab::workloads
