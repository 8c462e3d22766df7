// The rows of packet_table.hpp. Frames start from build_udp_frame and are then edited the way
// real odd traffic looks (a tag pushed, a header cut short, a protocol changed); each edit says
// what the parser must make of it.
#include "packet_table.hpp"

#include <linux/bpf.h>

namespace benchlab::bpf::testing {

namespace {

using Bytes = std::vector<uint8_t>;

Bytes udp(Family f, uint32_t size) { return build_udp_frame(table_spec(f, size), 0, 42); }

// Inserts a VLAN tag (TPID `tpid`, VID 100) after the MACs.
Bytes tagged(Bytes f, uint16_t tpid) {
  const uint8_t tag[4] = {uint8_t(tpid >> 8), uint8_t(tpid), 0x00, 0x64};
  f.insert(f.begin() + 12, tag, tag + 4);
  return f;
}

Bytes cut(Bytes f, size_t len) {
  f.resize(len);
  return f;
}

void set_ipv4_csum(Bytes& f, size_t ihl_bytes) {
  f[24] = f[25] = 0;
  const uint16_t c = inet_checksum({f.data() + 14, ihl_bytes});
  f[24] = uint8_t(c >> 8), f[25] = uint8_t(c);
}

// IPv4 UDP with 4 bytes of options (IHL 6): the UDP header moves 4 bytes on.
Bytes ipv4_options() {
  Bytes f = udp(Family::ipv4, 128);
  const uint8_t nop_eol[4] = {1, 1, 1, 0};
  f.insert(f.begin() + 34, nop_eol, nop_eol + 4);
  f[14] = 0x46;
  const uint16_t tot = uint16_t(f.size() - 14);
  f[16] = uint8_t(tot >> 8), f[17] = uint8_t(tot);
  set_ipv4_csum(f, 24);
  return f;
}

Bytes ipv4_frag(uint16_t frag_field) {
  Bytes f = udp(Family::ipv4, 128);
  f[20] = uint8_t(frag_field >> 8), f[21] = uint8_t(frag_field);
  set_ipv4_csum(f, 20);
  return f;
}

// Protocol TCP with a 20-byte TCP header in place of UDP + payload.
Bytes with_tcp(Family fam) {
  Bytes f = udp(fam, 128);
  const size_t l3 = 14, l4 = fam == Family::ipv4 ? 34 : 54;
  if (fam == Family::ipv4) {
    f[l3 + 9] = 6;
    set_ipv4_csum(f, 20);
  } else {
    f[l3 + 6] = 6;
  }
  for (size_t i = l4; i < l4 + 20; ++i) f[i] = 0;
  f[l4 + 12] = 0x50;   // data offset 5
  f[l4 + 13] = 0x02;   // SYN
  return f;
}

Bytes arp() {
  Bytes f(60, 0);
  const FrameSpec s = table_spec(Family::ipv4, 64);
  for (int i = 0; i < 6; ++i) f[i] = 0xff, f[6 + i] = s.src_mac[i];
  f[12] = 0x08, f[13] = 0x06;
  const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};   // Ethernet/IPv4 request
  std::copy(hdr, hdr + 8, f.begin() + 14);
  return f;
}

Bytes ethertype(uint16_t type, size_t len) {
  Bytes f = udp(Family::ipv4, 64);
  f[12] = uint8_t(type >> 8), f[13] = uint8_t(type);
  return cut(f, len);
}

// IPv6 with a fragment header (next header 44) before UDP.
Bytes ipv6_fragment_header() {
  Bytes f = udp(Family::ipv6, 128);
  const uint8_t frag[8] = {17, 0, 0x00, 0x01, 0, 0, 0, 1};   // next UDP, offset 0, M=1, id 1
  f.insert(f.begin() + 54, frag, frag + 8);
  f[20] = 44;
  const uint16_t plen = uint16_t(f.size() - 54);
  f[18] = uint8_t(plen >> 8), f[19] = uint8_t(plen);
  return f;
}

PacketRow row(std::string name, Bytes frame, bool parse_error, bool ipv4, bool ipv6, bool is_udp) {
  PacketRow r{std::move(name), std::move(frame), parse_error, ipv4, ipv6, is_udp, {}};
  // xdp_actions changes no byte: its output is its input, whatever the verdict.
  r.expect["xdp-drop"] = {XDP_DROP, r.frame};
  r.expect["xdp-pass"] = {XDP_PASS, r.frame};
  return r;
}

std::vector<PacketRow> build() {
  const auto v4 = Family::ipv4, v6 = Family::ipv6;
  Bytes v4_bad_version = udp(v4, 64);
  v4_bad_version[14] = 0x65;
  Bytes v4_ihl4 = udp(v4, 64);
  v4_ihl4[14] = 0x44;
  Bytes v4_ihl15 = udp(v4, 64);   // claims 60 bytes of header in a 50-byte IP packet
  v4_ihl15[14] = 0x4f;
  Bytes v6_bad_version = udp(v6, 78);
  v6_bad_version[14] = 0x40;
  return {
      //   name                          frame                               perr   ipv4   ipv6   udp
      row("ipv4-udp-64", udp(v4, 64), false, true, false, true),
      row("ipv4-udp-128", udp(v4, 128), false, true, false, true),
      row("ipv4-udp-512", udp(v4, 512), false, true, false, true),
      row("ipv4-udp-1514", udp(v4, 1514), false, true, false, true),
      row("ipv6-udp-78", udp(v6, 78), false, false, true, true),
      row("ipv6-udp-512", udp(v6, 512), false, false, true, true),
      row("ipv6-udp-1514", udp(v6, 1514), false, false, true, true),
      row("ipv4-tcp-syn", with_tcp(v4), false, true, false, false),
      row("ipv6-tcp-syn", with_tcp(v6), false, false, true, false),
      row("arp-request", arp(), false, false, false, false),
      row("lldp-ethertype", ethertype(0x88cc, 60), false, false, false, false),
      row("vlan-ipv4-udp", tagged(udp(v4, 128), 0x8100), false, true, false, true),
      row("qinq-ipv6-udp", tagged(tagged(udp(v6, 128), 0x8100), 0x88a8), false, false, true, true),
      row("ipv4-options-udp", ipv4_options(), false, true, false, true),
      row("ipv4-first-fragment-udp", ipv4_frag(0x2000), false, true, false, true),
      row("ipv4-later-fragment", ipv4_frag(0x00b9), false, true, false, false),
      row("ipv6-fragment-header", ipv6_fragment_header(), false, false, true, false),
      // Truncated or malformed: a parse error, and still the program's verdict.
      row("eth-only-ipv4-type", cut(udp(v4, 64), 14), true, false, false, false),
      row("vlan-tag-cut", cut(tagged(udp(v4, 64), 0x8100), 16), true, false, false, false),
      row("ipv4-header-cut", cut(udp(v4, 64), 14 + 12), true, false, false, false),
      row("ipv4-bad-version", v4_bad_version, true, false, false, false),
      row("ipv4-ihl-below-5", v4_ihl4, true, false, false, false),
      row("ipv4-ihl-past-end", v4_ihl15, true, false, false, false),
      row("ipv4-udp-header-cut", cut(udp(v4, 64), 14 + 20 + 4), true, true, false, false),
      row("ipv4-tcp-header-cut", cut(with_tcp(v4), 14 + 20 + 10), true, true, false, false),
      row("ipv6-header-cut", cut(udp(v6, 78), 14 + 30), true, false, false, false),
      row("ipv6-bad-version", v6_bad_version, true, false, false, false),
      row("ipv6-udp-header-cut", cut(udp(v6, 78), 14 + 40 + 6), true, false, true, false),
  };
}

}  // namespace

FrameSpec table_spec(Family f, uint32_t frame_size) {
  FrameSpec s;
  s.family = f;
  s.src_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  s.dst_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  s.src = IpAddress::parse(f == Family::ipv4 ? "198.18.0.1" : "2001:2::1");
  s.dst = IpAddress::parse(f == Family::ipv4 ? "198.18.0.2" : "2001:2::2");
  s.src_port = 4000;
  s.dst_port = 9;
  s.frame_size = frame_size;
  return s;
}

const std::vector<PacketRow>& packet_table() {
  static const std::vector<PacketRow> rows = build();
  return rows;
}

}  // namespace benchlab::bpf::testing
