// ONE table of crafted frames for every XDP packet program and micro-benchmark: each row is a
// frame and, per program, the verdict and output bytes it must produce, plus what the program's
// parser must count (xdp_actions' per-class counters). New programs add a column (an Expect
// entry per row), new edge cases add a row; the tests and benchmarks iterate the same rows.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "benchlab/core/packet.hpp"

namespace benchlab::bpf::testing {

// What one program does with one row's frame.
struct Expect {
  uint32_t verdict = 0;            // XDP action value (XDP_DROP 1, XDP_PASS 2, ...)
  std::vector<uint8_t> output;     // the frame after the program (BPF_PROG_TEST_RUN's data_out)
};

struct PacketRow {
  std::string name;                // "ipv4-udp-64", "vlan-ipv4-udp", "ipv4-trunc-ihl" ...
  std::vector<uint8_t> frame;
  // What xdp_actions' parser counts for this frame (the per-verdict record's fields).
  bool parse_error = false;
  bool ipv4 = false, ipv6 = false, udp = false;
  // Per program (the registry name: "xdp-drop", "xdp-pass"): verdict and output bytes.
  std::map<std::string, Expect> expect;
};

// The addresses and MACs the table's frames use (198.18.0.0/15, 2001:2::/48 only).
FrameSpec table_spec(Family f, uint32_t frame_size);

// Every row, built once.
const std::vector<PacketRow>& packet_table();

}  // namespace benchlab::bpf::testing
