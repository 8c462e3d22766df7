// Frame crafting (core packet.hpp) and the packet table's own consistency; no kernel needed.
#include <gtest/gtest.h>

#include <set>

#include "benchlab/core/packet.hpp"
#include "packet_table.hpp"

namespace benchlab {
namespace {

using bpf::testing::packet_table;
using bpf::testing::table_spec;

// An independent check of the UDP checksum: the one's complement sum over pseudo-header and
// datagram, stored checksum included, must be 0xffff (RFC 1071), not a recomputation.
bool udp_sum_verifies(const std::vector<uint8_t>& f, Family fam) {
  const size_t l3 = 14, l4 = fam == Family::ipv4 ? 34 : 54, alen = fam == Family::ipv4 ? 4 : 16;
  const size_t src = fam == Family::ipv4 ? l3 + 12 : l3 + 8;
  const size_t udp_len = f.size() - l4;
  uint64_t sum = checksum_add({f.data() + src, 2 * alen});
  sum += 17 + udp_len;
  sum = checksum_add({f.data() + l4, udp_len}, sum);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

TEST(Packet, FrameSizeFromPacketSize) {
  EXPECT_EQ(frame_size_for_packet_size(64), 78u);
  EXPECT_EQ(frame_size_for_packet_size(1500), 1514u);
  EXPECT_THROW(frame_size_for_packet_size(63), std::invalid_argument);
  EXPECT_THROW(frame_size_for_packet_size(1501), std::invalid_argument);
  EXPECT_EQ(min_frame_size(Family::ipv4), 64u);
  EXPECT_EQ(min_frame_size(Family::ipv6), 74u);
}

TEST(Packet, BuildsValidFramesOfBothFamiliesAndEverySize) {
  for (Family fam : {Family::ipv4, Family::ipv6})
    for (uint32_t size : {min_frame_size(fam), 128u, 1000u, 1514u}) {
      FrameSpec s = table_spec(fam, size);
      s.flows = 3;
      const auto f = build_udp_frame(s, 4, 0x0102030405060708ull);
      ASSERT_EQ(f.size(), size);
      ParsedUdpFrame p = parse_udp_frame(f);
      ASSERT_TRUE(p.ok) << p.error;
      EXPECT_EQ(p.family, fam);
      EXPECT_EQ(p.src_mac, s.src_mac);
      EXPECT_EQ(p.dst_mac, s.dst_mac);
      EXPECT_EQ(p.src.str(), s.src.str());
      EXPECT_EQ(p.dst.str(), s.dst.str());
      EXPECT_EQ(p.src_port, s.src_port + 1);   // flow 4 of 3 → the second port
      EXPECT_EQ(p.dst_port, s.dst_port);
      EXPECT_TRUE(p.ip_checksum_ok);
      EXPECT_TRUE(p.udp_checksum_ok);
      EXPECT_TRUE(p.lengths_ok);
      EXPECT_TRUE(p.payload_ok);
      EXPECT_EQ(p.seq, 0x0102030405060708ull);
      EXPECT_TRUE(udp_sum_verifies(f, fam)) << to_string(fam) << " " << size;
      if (fam == Family::ipv4) {
        EXPECT_EQ(inet_checksum({f.data() + 14, 20}), 0);
      }
    }
}

TEST(Packet, ACorruptedByteFailsTheChecks) {
  auto f = build_udp_frame(table_spec(Family::ipv4, 100), 0, 7);
  auto g = f;
  g[14 + 8] ^= 1;   // TTL
  EXPECT_FALSE(parse_udp_frame(g).ip_checksum_ok);
  g = f;
  g[80] ^= 0x10;    // payload fill
  EXPECT_FALSE(parse_udp_frame(g).udp_checksum_ok);
  g = f;
  g[42] ^= 0xff;    // magic
  EXPECT_FALSE(parse_udp_frame(g).payload_ok);
  auto v6 = build_udp_frame(table_spec(Family::ipv6, 100), 0, 7);
  v6[90] ^= 1;
  EXPECT_FALSE(parse_udp_frame(v6).udp_checksum_ok);
}

TEST(Packet, FlowsRotateSourcePorts) {
  FrameSpec s = table_spec(Family::ipv6, 128);
  s.flows = 5;
  std::set<uint16_t> ports;
  for (uint32_t i = 0; i < 10; ++i) ports.insert(parse_udp_frame(build_udp_frame(s, i, i)).src_port);
  EXPECT_EQ(ports, (std::set<uint16_t>{4000, 4001, 4002, 4003, 4004}));
}

TEST(Packet, PayloadCheck) {
  uint8_t ok[12] = {0x42, 0x4c, 0x55, 0x44, 0, 0, 0, 0, 0, 0, 1, 2};
  uint64_t seq = 0;
  EXPECT_TRUE(check_udp_payload(ok, &seq));
  EXPECT_EQ(seq, 0x0102u);
  EXPECT_FALSE(check_udp_payload({ok, 11}, &seq));
  ok[0] = 0;
  EXPECT_FALSE(check_udp_payload(ok, &seq));
}

TEST(Packet, ValidateNamesTheProblem) {
  FrameSpec s = table_spec(Family::ipv6, 64);
  EXPECT_NE(validate(s).find("frame size 64"), std::string::npos) << validate(s);
  s.frame_size = 1515;
  EXPECT_FALSE(validate(s).empty());
  s = table_spec(Family::ipv4, 64);
  s.dst = IpAddress::parse("2001:2::1");
  EXPECT_NE(validate(s).find("not both ipv4"), std::string::npos) << validate(s);
  s = table_spec(Family::ipv4, 64);
  s.flows = 0;
  EXPECT_FALSE(validate(s).empty());
  s.flows = 2;
  s.src_port = 65535;
  EXPECT_NE(validate(s).find("65535"), std::string::npos);
  EXPECT_THROW(build_udp_frame(s, 0, 0), std::invalid_argument);
}

TEST(PacketTable, RowsAreDistinctAndEveryProgramHasAnExpectation) {
  std::set<std::string> names;
  for (const auto& r : packet_table()) {
    EXPECT_TRUE(names.insert(r.name).second) << "duplicate row " << r.name;
    EXPECT_GE(r.frame.size(), 14u) << r.name;   // BPF_PROG_TEST_RUN refuses shorter XDP data
    for (const char* prog : {"xdp-drop", "xdp-pass"}) EXPECT_TRUE(r.expect.count(prog)) << r.name << " " << prog;
  }
  EXPECT_GE(names.size(), 20u);
}

TEST(PacketTable, WellFormedUdpRowsParseInUserSpaceToo) {
  // The table's UDP rows without tags, options or fragments are exactly what parse_udp_frame
  // accepts, so the two parsers (BPF and user space) agree on them.
  for (const auto& r : packet_table()) {
    if (!r.udp || r.name.find("udp-") != 5) continue;
    ParsedUdpFrame p = parse_udp_frame(r.frame);
    EXPECT_TRUE(p.ok && p.udp_checksum_ok && p.payload_ok) << r.name << ": " << p.error;
  }
}

}  // namespace
}  // namespace benchlab
