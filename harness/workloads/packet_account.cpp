#include "benchlab/workloads/packet_account.hpp"

#include <cmath>

#include <fmt/format.h>

namespace benchlab::workloads {

const char* to_string(PacketEngine e) { return e == PacketEngine::live_frames ? "live-frames" : "sendmmsg"; }

uint64_t xdp_consumed_of(const Counters& d) {
  return counter_or_zero(d, "xdp_drop_packets") + counter_or_zero(d, "xdp_aborted_packets");
}

PacketAccount account_packets(const PacketCounts& c, double tolerance) {
  PacketAccount a;
  a.generated = c.generated;
  a.left = c.engine == PacketEngine::live_frames ? c.generator.xdp_xmit : c.generator.tx_packets;
  a.refused = c.generator.tx_dropped;
  a.lost_before_leaving = int64_t(a.generated) - int64_t(a.left) - int64_t(a.refused);
  a.handled = c.xdp_consumed + c.socket_received;
  a.dropped = c.dut.rxq_drops + c.socket_drops + c.udp_no_ports + c.udp_csum_errors;
  a.unexplained = int64_t(a.left) - int64_t(a.handled) - int64_t(a.dropped);
  const double bound = tolerance * double(a.generated);
  a.ok = a.generated > 0 && std::fabs(double(a.lost_before_leaving)) <= bound && std::fabs(double(a.unexplained)) <= bound;
  a.message = fmt::format(
      "generated {} = left {} ({}) + refused {} (tx_dropped; ring full {}) + lost before leaving {}; "
      "left {} = handled {} (xdp {} + socket {}) + dropped {} (veth rx queue {} + socket {} + no port {} + "
      "checksum {}) + unexplained {}",
      a.generated, a.left, c.engine == PacketEngine::live_frames ? "xdp_xmit" : "tx_packets", a.refused,
      c.generator.xdp_xmit_errors, a.lost_before_leaving, a.left, a.handled, c.xdp_consumed, c.socket_received,
      a.dropped, c.dut.rxq_drops, c.socket_drops, c.udp_no_ports, c.udp_csum_errors, a.unexplained);
  if (a.generated == 0) a.message = "no frame generated; " + a.message;
  return a;
}

std::map<std::string, double> PacketAccount::figures() const {
  return {{"acct_generated", double(generated)},
          {"acct_left", double(left)},
          {"acct_refused", double(refused)},
          {"acct_lost_before_leaving", double(lost_before_leaving)},
          {"acct_handled", double(handled)},
          {"acct_dropped", double(dropped)},
          {"acct_unexplained", double(unexplained)},
          {"acct_ok", ok ? 1.0 : 0.0}};
}

}  // namespace benchlab::workloads
