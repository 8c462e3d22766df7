// Frame crafting and parsing: see packet.hpp for the layout. All multi-byte fields are written
// big endian byte by byte, so nothing depends on the host's byte order or on alignment.
#include "benchlab/core/packet.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace benchlab {

namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800, kEtherTypeIpv6 = 0x86dd;
constexpr uint8_t kProtoUdp = 17;

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, uint16_t(v >> 16));
  put16(p + 2, uint16_t(v));
}
void put64(uint8_t* p, uint64_t v) {
  put32(p, uint32_t(v >> 32));
  put32(p + 4, uint32_t(v));
}
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return uint32_t(get16(p)) << 16 | get16(p + 2); }
uint64_t get64(const uint8_t* p) { return uint64_t(get32(p)) << 32 | get32(p + 4); }

uint32_t addr_len(Family f) { return f == Family::ipv4 ? 4 : 16; }

// The pseudo-header's sum: source, destination, protocol and UDP length.
uint64_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, uint32_t udp_len) {
  const uint32_t n = addr_len(src.family);
  uint64_t sum = checksum_add({src.bytes.data(), n});
  sum = checksum_add({dst.bytes.data(), n}, sum);
  return sum + kProtoUdp + udp_len;
}

}  // namespace

uint32_t frame_size_for_packet_size(uint32_t packet_size) {
  if (packet_size < kMinPacketSize || packet_size > kMaxPacketSize)
    throw std::invalid_argument(fmt::format("packet_size {} is outside {}..{} (the IP packet's length)",
                                            packet_size, kMinPacketSize, kMaxPacketSize));
  return packet_size + kEthHeaderLen;
}

FrameLayout frame_layout(Family f) {
  FrameLayout l;
  l.l3 = kEthHeaderLen;
  l.l4 = l.l3 + (f == Family::ipv4 ? kIpv4HeaderLen : kIpv6HeaderLen);
  l.payload = l.l4 + kUdpHeaderLen;
  return l;
}

uint32_t min_frame_size(Family f) {
  return std::max(kMinFrameSize, frame_layout(f).payload + kPayloadHeaderLen);
}

std::string validate(const FrameSpec& s) {
  if (s.frame_size < min_frame_size(s.family) || s.frame_size > kMaxFrameSize)
    return fmt::format("frame size {} is outside {}..{} for {}", s.frame_size, min_frame_size(s.family),
                       kMaxFrameSize, to_string(s.family));
  if (s.src.family != s.family || s.dst.family != s.family)
    return fmt::format("addresses {} and {} are not both {}", s.src.str(), s.dst.str(), to_string(s.family));
  if (s.flows == 0) return "flows must be at least 1";
  if (uint32_t(s.src_port) + s.flows - 1 > 65535)
    return fmt::format("source ports {}..{} pass 65535", s.src_port, uint32_t(s.src_port) + s.flows - 1);
  return {};
}

uint64_t checksum_add(std::span<const uint8_t> b, uint64_t sum) {
  size_t i = 0;
  for (; i + 1 < b.size(); i += 2) sum += uint32_t(b[i]) << 8 | b[i + 1];
  if (i < b.size()) sum += uint32_t(b[i]) << 8;
  return sum;
}

uint16_t checksum_fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

uint16_t inet_checksum(std::span<const uint8_t> bytes) { return checksum_fold(checksum_add(bytes)); }

uint16_t udp_checksum(const IpAddress& src, const IpAddress& dst, std::span<const uint8_t> udp) {
  if (udp.size() < kUdpHeaderLen) throw std::invalid_argument("udp_checksum: shorter than a UDP header");
  uint64_t sum = pseudo_header_sum(src, dst, uint32_t(udp.size()));
  sum = checksum_add(udp.first(6), sum);                 // ports and length
  sum = checksum_add(udp.subspan(kUdpHeaderLen), sum);   // payload; the checksum field counts as 0
  uint16_t c = checksum_fold(sum);
  return c == 0 ? 0xffff : c;
}

std::vector<uint8_t> build_udp_frame(const FrameSpec& s, uint32_t flow_index, uint64_t seq) {
  if (std::string why = validate(s); !why.empty()) throw std::invalid_argument("build_udp_frame: " + why);
  const FrameLayout l = frame_layout(s.family);
  std::vector<uint8_t> f(s.frame_size, 0);
  uint8_t* p = f.data();

  std::copy(s.dst_mac.begin(), s.dst_mac.end(), p);
  std::copy(s.src_mac.begin(), s.src_mac.end(), p + 6);
  put16(p + 12, s.family == Family::ipv4 ? kEtherTypeIpv4 : kEtherTypeIpv6);

  const uint32_t ip_len = s.frame_size - l.l3, udp_len = s.frame_size - l.l4;
  uint8_t* ip = p + l.l3;
  if (s.family == Family::ipv4) {
    ip[0] = 0x45;                 // version 4, 5 words
    put16(ip + 2, uint16_t(ip_len));
    put16(ip + 6, 0x4000);        // DF, no fragment offset; id 0
    ip[8] = 64;
    ip[9] = kProtoUdp;
    std::copy_n(s.src.bytes.begin(), 4, ip + 12);
    std::copy_n(s.dst.bytes.begin(), 4, ip + 16);
    put16(ip + 10, inet_checksum({ip, kIpv4HeaderLen}));
  } else {
    put32(ip, 0x60000000);        // version 6, no traffic class, no flow label
    put16(ip + 4, uint16_t(udp_len));
    ip[6] = kProtoUdp;
    ip[7] = 64;
    std::copy_n(s.src.bytes.begin(), 16, ip + 8);
    std::copy_n(s.dst.bytes.begin(), 16, ip + 24);
  }

  uint8_t* udp = p + l.l4;
  put16(udp, uint16_t(s.src_port + flow_index % s.flows));
  put16(udp + 2, s.dst_port);
  put16(udp + 4, uint16_t(udp_len));
  uint8_t* pl = p + l.payload;
  const uint32_t pl_len = s.frame_size - l.payload;
  for (uint32_t i = kPayloadHeaderLen; i < pl_len; ++i) pl[i] = uint8_t(i);
  put32(pl, kPayloadMagic);
  put64(pl + 4, seq);
  put16(udp + 6, udp_checksum(s.src, s.dst, {udp, udp_len}));
  return f;
}

bool check_udp_payload(std::span<const uint8_t> pl, uint64_t* seq) {
  if (pl.size() < kPayloadHeaderLen || get32(pl.data()) != kPayloadMagic) return false;
  if (seq) *seq = get64(pl.data() + 4);
  return true;
}

ParsedUdpFrame parse_udp_frame(std::span<const uint8_t> f) {
  ParsedUdpFrame r;
  r.frame_len = uint32_t(f.size());
  auto fail = [&](std::string why) {
    r.ok = false;
    r.error = std::move(why);
    return r;
  };
  if (f.size() < kEthHeaderLen) return fail("shorter than an Ethernet header");
  std::copy_n(f.begin(), 6, r.dst_mac.begin());
  std::copy_n(f.begin() + 6, 6, r.src_mac.begin());
  const uint16_t type = get16(&f[12]);
  const uint8_t* ip = f.data() + kEthHeaderLen;
  const size_t l3_len = f.size() - kEthHeaderLen;
  std::span<const uint8_t> udp;
  if (type == kEtherTypeIpv4) {
    r.family = Family::ipv4;
    if (l3_len < kIpv4HeaderLen) return fail("truncated IPv4 header");
    const uint32_t ihl = (ip[0] & 0xf) * 4u;
    if ((ip[0] >> 4) != 4 || ihl < kIpv4HeaderLen || l3_len < ihl) return fail("bad IPv4 version or header length");
    if (ip[9] != kProtoUdp) return fail(fmt::format("IPv4 protocol {} is not UDP", ip[9]));
    if (get16(ip + 6) & 0x3fff) return fail("an IPv4 fragment");
    r.src.family = r.dst.family = Family::ipv4;
    std::copy_n(ip + 12, 4, r.src.bytes.begin());
    std::copy_n(ip + 16, 4, r.dst.bytes.begin());
    r.ip_checksum_ok = inet_checksum({ip, ihl}) == 0;
    const uint32_t tot = get16(ip + 2);
    if (tot < ihl + kUdpHeaderLen || tot > l3_len) return fail("IPv4 total length does not fit the frame");
    r.lengths_ok = tot == l3_len;
    udp = {ip + ihl, tot - ihl};
  } else if (type == kEtherTypeIpv6) {
    r.family = Family::ipv6;
    if (l3_len < kIpv6HeaderLen) return fail("truncated IPv6 header");
    if ((ip[0] >> 4) != 6) return fail("bad IPv6 version");
    if (ip[6] != kProtoUdp) return fail(fmt::format("IPv6 next header {} is not UDP", ip[6]));
    r.src.family = r.dst.family = Family::ipv6;
    std::copy_n(ip + 8, 16, r.src.bytes.begin());
    std::copy_n(ip + 24, 16, r.dst.bytes.begin());
    r.ip_checksum_ok = true;
    const uint32_t plen = get16(ip + 4);
    if (plen < kUdpHeaderLen || plen > l3_len - kIpv6HeaderLen) return fail("IPv6 payload length does not fit the frame");
    r.lengths_ok = plen == l3_len - kIpv6HeaderLen;
    udp = {ip + kIpv6HeaderLen, plen};
  } else {
    return fail(fmt::format("EtherType {:#06x} is not IPv4/IPv6", type));
  }
  r.src_port = get16(udp.data());
  r.dst_port = get16(udp.data() + 2);
  r.lengths_ok = r.lengths_ok && get16(udp.data() + 4) == udp.size();
  const uint16_t stored = get16(udp.data() + 6);
  r.udp_checksum_ok = stored != 0 ? udp_checksum(r.src, r.dst, udp) == stored : r.family == Family::ipv4;
  r.payload_ok = check_udp_payload(udp.subspan(kUdpHeaderLen), &r.seq);
  r.ok = true;
  return r;
}

}  // namespace benchlab
