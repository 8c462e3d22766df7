// Collectors take raw, timestamped snapshots; they never derive rates or format text.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "benchlab/core/datapath.hpp"
#include "benchlab/core/results.hpp"
#include "benchlab/netns/topology.hpp"

namespace benchlab {

// Per-CPU times from /proc/stat (USER_HZ jiffies converted to seconds).
CpuSnapshot read_proc_stat();
CpuSnapshot parse_proc_stat(const std::string& text, double mono_s, long user_hz);

// Counters of every topology interface, keyed "link.<role>.<ifname>.<stat>".
Counters read_topology_links(const netns::Topology& topo);

// b - a for every key of b (keys missing from a count from zero).
Counters counter_delta(const Counters& a, const Counters& b);

// The environment a report records: kernel, CPU, cores, sysctls, library versions, revision.
nlohmann::json capture_environment();
// Offload features of the topology's interfaces, keyed "<role>.<ifname>".
nlohmann::json capture_offloads(const netns::Topology& topo);

}  // namespace benchlab
