// udp_flood: the packet workload. A generator in the generator namespace sends UDP frames of the
// cell's size over its flows into the DUT veth, with one of two engines (strategies):
//   live-frames  BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES (bpf::LiveFrameGenerator): the
//                kernel runs a generator XDP program that rewrites every frame and sends it with
//                XDP_TX out of the generator's veth, as xdp-trafficgen does
//   sendmmsg     UDP sockets (one per flow) sending batches with sendmmsg()
// at the maximum rate or a fixed rate paced per batch with a token bucket, bounded by a frame
// count and by warm-up + duration. In the DUT namespace a UDP socket on the DUT CPU receives with
// recvmmsg and checks every payload (the `kernel` packet baseline, and what `xdp-pass` delivers
// to). The DUT veth's NAPI is threaded and its thread pinned to the DUT CPU for the run (a DUT
// without NAPI is refused: frames sent with XDP_TX into it would be lost silently). Frames are
// counted over the whole run and must add up (packet_account.hpp).
#pragma once

#include "benchlab/core/registry.hpp"

namespace benchlab::workloads {

void register_udp_flood(WorkloadRegistry& reg);

// The axes udp_flood declares: packet_size (IP packet length, B), flows, cpu_placement.
std::vector<AxisSpec> packet_axes();
Cell packet_cell(int64_t packet_size, int64_t flows, const std::string& placement = "cross-core");

}  // namespace benchlab::workloads
