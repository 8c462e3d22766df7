// Registries map a name to a factory, its options with their defaults, its matrix axes, its
// metrics, its traffic kinds and a probe telling whether this kernel supports it. `benchlab
// list`, the scenario validator, the runner and the summary all read the same tables; adding a
// datapath, topology or workload is adding one entry, and adding an axis or a metric is one
// declaration in that entry.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "benchlab/core/cell.hpp"
#include "benchlab/core/datapath.hpp"
#include "benchlab/core/metrics.hpp"
#include "benchlab/core/options.hpp"
#include "benchlab/core/topology.hpp"
#include "benchlab/core/workload.hpp"

namespace benchlab {

struct Support {
  bool ok = true;
  std::string reason;   // why not, when !ok
};

// Traffic kinds: what a workload produces and a datapath can carry.
//   stream  TCP byte streams: bulk transfer and request/response over connected sockets
//   packet  frames or datagrams counted one by one (UDP, XDP, AF_XDP)
using TrafficKind = std::string;
struct TrafficKindInfo {
  const char* name;
  const char* doc;
};
std::span<const TrafficKindInfo> traffic_kinds();
bool is_traffic_kind(const std::string& k);

template <class Factory>
struct RegistryEntry {
  std::string name;
  std::string description;
  std::vector<OptionSpec> options;
  Factory factory;
  std::function<Support()> probe = [] { return Support{}; };
  // Workload: the one kind it produces. Datapath: every kind it carries.
  std::vector<TrafficKind> traffic;
  // Matrix axes: a workload's and a topology's make cells; a datapath's make variants of it.
  std::vector<AxisSpec> axes;
  // Workload: the figures it produces. Datapath: figures from its own counters, added to its rows.
  std::vector<MetricSpec> metrics;
  // Datapath: the kinds it is the baseline of (the reference of every ratio in their cells).
  std::vector<TrafficKind> baseline_of;
  // A short line for `benchlab list`; the description is the long text.
  std::string summary;
};

template <class Factory>
class Registry {
 public:
  using Entry = RegistryEntry<Factory>;
  void add(Entry e) { entries_.push_back(std::move(e)); }
  const Entry* find(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const auto& e : entries_) n.push_back(e.name);
    return n;
  }

 private:
  std::vector<Entry> entries_;
};

using TopologyFactory =
    std::function<std::unique_ptr<Topology>(const TopologyOptions&, const OptionValues&)>;
using DatapathFactory = std::function<std::unique_ptr<Datapath>(const DatapathContext&)>;
using WorkloadFactory = std::function<std::unique_ptr<Workload>()>;

using TopologyRegistry = Registry<TopologyFactory>;
using DatapathRegistry = Registry<DatapathFactory>;
using WorkloadRegistry = Registry<WorkloadFactory>;

struct Registries {
  TopologyRegistry topologies;
  DatapathRegistry datapaths;
  WorkloadRegistry workloads;
};

// The kind workload `w` produces ("" when it declares none).
inline TrafficKind kind_of(const WorkloadRegistry::Entry& w) { return w.traffic.empty() ? "" : w.traffic.front(); }

// Whether datapath `d` can carry the traffic workload `w` makes.
inline bool traffic_compatible(const DatapathRegistry::Entry& d, const WorkloadRegistry::Entry& w) {
  if (w.traffic.empty()) return true;
  return std::find(d.traffic.begin(), d.traffic.end(), w.traffic.front()) != d.traffic.end();
}

// The datapath that is the baseline of `kind`, or nullptr.
const DatapathRegistry::Entry* baseline_of(const DatapathRegistry& reg, const TrafficKind& kind);

// Problems with the entries' declarations (unknown kinds, bad metric declarations, two
// baselines of one kind), one line each; empty when all is well. Tests check the built-in table.
std::vector<std::string> check_registries(const Registries& r);

}  // namespace benchlab
