// Collectors take raw, timestamped snapshots; they never derive rates or format text.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "benchlab/core/results.hpp"
#include "benchlab/core/topology.hpp"

namespace benchlab {

// Per-CPU times from /proc/stat (USER_HZ jiffies converted to seconds).
CpuSnapshot read_proc_stat();
CpuSnapshot parse_proc_stat(const std::string& text, double mono_s, long user_hz);

// Counters of every topology interface (Topology::interfaces()), one record per role and interface.
std::vector<LinkCounters> read_topology_links(const Topology& topo);

// The environment a report records: kernel, CPU, cores, sysctls, library versions, revision.
nlohmann::json capture_environment();
// Offload features of the topology's interfaces, keyed "<role>.<ifname>".
nlohmann::json capture_offloads(const Topology& topo);

}  // namespace benchlab
