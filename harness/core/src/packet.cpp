// Frame crafting: see packet.hpp for the layout. (Stub: bodies follow.)
#include "benchlab/core/packet.hpp"

#include <stdexcept>

namespace benchlab {

uint32_t frame_size_for_packet_size(uint32_t) { throw std::logic_error("packet: not yet"); }
FrameLayout frame_layout(Family) { throw std::logic_error("packet: not yet"); }
uint32_t min_frame_size(Family) { throw std::logic_error("packet: not yet"); }
std::string validate(const FrameSpec&) { throw std::logic_error("packet: not yet"); }
std::vector<uint8_t> build_udp_frame(const FrameSpec&, uint32_t, uint64_t) { throw std::logic_error("packet: not yet"); }
bool check_udp_payload(std::span<const uint8_t>, uint64_t*) { throw std::logic_error("packet: not yet"); }
uint64_t checksum_add(std::span<const uint8_t>, uint64_t) { throw std::logic_error("packet: not yet"); }
uint16_t checksum_fold(uint64_t) { throw std::logic_error("packet: not yet"); }
uint16_t inet_checksum(std::span<const uint8_t>) { throw std::logic_error("packet: not yet"); }
uint16_t udp_checksum(const IpAddress&, const IpAddress&, std::span<const uint8_t>) { throw std::logic_error("packet: not yet"); }
ParsedUdpFrame parse_udp_frame(std::span<const uint8_t>) { throw std::logic_error("packet: not yet"); }

}  // namespace benchlab
