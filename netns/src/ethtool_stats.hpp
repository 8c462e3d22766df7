// Internal: the driver statistics (ETHTOOL_GSTATS) of an interface of the calling thread's
// namespace, by their ethtool names; empty for a device without any.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace benchlab::netns {

std::map<std::string, uint64_t> ethtool_stats_here(const std::string& ifname);

}  // namespace benchlab::netns
