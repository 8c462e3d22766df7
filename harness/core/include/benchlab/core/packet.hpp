// Crafted Ethernet/IP/UDP frames: the test frames of the packet table, the template the
// live-frames generator starts from, and the receiver's payload check. Plain bytes, no BPF, no
// sockets, so every module (and every unit test) can build and check frames.
//
// Frame layout (no VLAN tag, no IP options, no FCS):
//   Ethernet (14) | IPv4 (20, DF, id 0, TTL 64) or IPv6 (40, hop limit 64) | UDP (8) | payload
// Payload: magic (4 bytes, "BLUD" in network order) | seq (8 bytes, big endian) | fill, where
// fill byte i (counted from the payload's start) is uint8_t(i). The receiver checks magic and
// length and reads seq; the fill is fixed, so the generator never rewrites it.
//
// Sizes: FrameSpec::frame_size is the L2 frame without FCS, 64..1514. A scenario's
// `packet_size` (64..1500) is the IP packet's length, the figure the MTU bounds:
//   frame_size = packet_size + 14   (packet_size 64 → a 78-byte frame, 1500 → 1514)
// so both families carry the payload header at the smallest size (IPv6 needs 74 bytes).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "benchlab/core/topology.hpp"

namespace benchlab {

inline constexpr uint32_t kEthHeaderLen = 14;
inline constexpr uint32_t kIpv4HeaderLen = 20;
inline constexpr uint32_t kIpv6HeaderLen = 40;
inline constexpr uint32_t kUdpHeaderLen = 8;
inline constexpr uint32_t kMinFrameSize = 64;
inline constexpr uint32_t kMaxFrameSize = 1514;
inline constexpr uint32_t kMinPacketSize = 64;     // scenario packet_size bounds (L3 length)
inline constexpr uint32_t kMaxPacketSize = 1500;
inline constexpr uint32_t kPayloadMagic = 0x424c5544;   // "BLUD"
inline constexpr uint32_t kPayloadHeaderLen = 12;       // magic + seq

struct FrameSpec {
  Family family = Family::ipv4;
  std::array<uint8_t, 6> src_mac{}, dst_mac{};
  IpAddress src, dst;
  uint16_t src_port = 9, dst_port = 9;  // first source port; flows rotate src_port .. src_port+flows-1
  uint32_t flows = 1;
  uint32_t frame_size = 64;             // L2 bytes without FCS, 64..1514 (see above for packet_size)
};

// The frame size a scenario's packet_size (IP packet length, 64..1500) maps to: packet_size + 14.
// Throws std::invalid_argument outside 64..1500.
uint32_t frame_size_for_packet_size(uint32_t packet_size);

// Byte offsets inside a frame built from `spec` (they depend on the family only).
struct FrameLayout {
  uint32_t l3 = kEthHeaderLen;   // IP header
  uint32_t l4 = 0;               // UDP header
  uint32_t payload = 0;          // UDP payload (magic, seq, fill)
  uint32_t headers_len() const { return payload; }
};
FrameLayout frame_layout(Family f);

// The smallest frame of this family that carries the payload header (IPv4 54 → 64, IPv6 74).
uint32_t min_frame_size(Family f);

// Empty when `spec` can be built; else one line saying what is wrong (frame size out of range or
// too small for the family, address families that differ from spec.family, zero flows, a source
// port range that wraps past 65535).
std::string validate(const FrameSpec& spec);

// A valid frame: correct IPv4 header checksum and UDP checksum (IPv4 and IPv6), UDP source port
// spec.src_port + flow_index % spec.flows, `seq` in the payload. Throws std::invalid_argument
// when validate(spec) is not empty.
std::vector<uint8_t> build_udp_frame(const FrameSpec& spec, uint32_t flow_index, uint64_t seq);

// Receiver side: true when the UDP payload carries the magic and a whole payload header; *seq
// (if given) gets the sequence number.
bool check_udp_payload(std::span<const uint8_t> udp_payload, uint64_t* seq);

// The Internet checksum (RFC 1071) helpers. `sum` accumulates 16-bit big-endian words (an odd
// trailing byte padded with zero); fold turns a sum into the one's complement 16-bit value as it
// is written into a header (host order; write it big endian).
uint64_t checksum_add(std::span<const uint8_t> bytes, uint64_t sum = 0);
uint16_t checksum_fold(uint64_t sum);   // ~fold(sum), never 0 for UDP callers: see udp_checksum
uint16_t inet_checksum(std::span<const uint8_t> bytes);

// The UDP checksum of an IPv4/IPv6 datagram (header + payload, its checksum field as is in
// `udp`, counted as zero) with the pseudo-header of src/dst; 0 folds to 0xffff as RFC 768 says.
uint16_t udp_checksum(const IpAddress& src, const IpAddress& dst, std::span<const uint8_t> udp);

// What a receiver (a test, a capture) reads back from a frame: every header field the generator
// sets, the checksums' validity and the payload. ok=false with `error` for a frame that is not
// Ethernet + IPv4/IPv6 + UDP.
struct ParsedUdpFrame {
  bool ok = false;
  std::string error;
  std::array<uint8_t, 6> src_mac{}, dst_mac{};
  Family family = Family::ipv4;
  IpAddress src, dst;
  uint16_t src_port = 0, dst_port = 0;
  uint32_t frame_len = 0;
  bool ip_checksum_ok = false;    // IPv4 header checksum (true for IPv6, which has none)
  bool udp_checksum_ok = false;
  bool lengths_ok = false;        // IP total/payload length and UDP length match the frame
  bool payload_ok = false;        // check_udp_payload
  uint64_t seq = 0;
};
ParsedUdpFrame parse_udp_frame(std::span<const uint8_t> frame);

}  // namespace benchlab
