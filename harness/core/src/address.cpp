#include <arpa/inet.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <cstring>
#include <stdexcept>

#include "benchlab/core/topology.hpp"

namespace benchlab {

std::string to_string(Family f) { return f == Family::ipv4 ? "ipv4" : "ipv6"; }

sockaddr_storage to_sockaddr(const IpAddress& a, uint16_t port, socklen_t* len) {
  sockaddr_storage ss{};
  if (a.family == Family::ipv4) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    std::memcpy(&s->sin_addr, a.bytes.data(), 4);
    *len = sizeof *s;
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    std::memcpy(&s->sin6_addr, a.bytes.data(), 16);
    *len = sizeof *s;
  }
  return ss;
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  int af = family == Family::ipv4 ? AF_INET : AF_INET6;
  if (!inet_ntop(af, bytes.data(), buf, sizeof buf)) return "?";
  return buf;
}

IpAddress IpAddress::parse(const std::string& s) {
  IpAddress a;
  // inet_pton accepts only dotted quads for AF_INET, so "1.2.3" or "0x1.2.3.4" are rejected.
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::ipv4;
    return a;
  }
  a.bytes = {};
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::ipv6;
    return a;
  }
  throw std::invalid_argument("not an IPv4 or IPv6 address: '" + s + "'");
}

bool is_benchmark_address(const IpAddress& a) {
  const auto& b = a.bytes;
  if (a.family == Family::ipv4) return b[0] == 198 && (b[1] & 0xfe) == 18;   // 198.18.0.0/15
  return b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x02 &&      // 2001:2::/48
         b[4] == 0x00 && b[5] == 0x00;
}

}  // namespace benchlab
