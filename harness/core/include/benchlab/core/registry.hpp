// Registries map a name to a factory, its options with their defaults, and a probe telling
// whether this kernel supports it. `benchlab list`, the scenario validator and the runner all
// read the same tables; adding a datapath, topology or workload is adding one entry.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "benchlab/core/datapath.hpp"
#include "benchlab/core/options.hpp"
#include "benchlab/core/workload.hpp"
#include "benchlab/core/topology.hpp"

namespace benchlab {

struct Support {
  bool ok = true;
  std::string reason;   // why not, when !ok
};

// What kind of traffic a workload produces and a datapath can carry. Socket datapaths carry
// "tcp"; packet datapaths (XDP, AF_XDP) will carry "packet".
using TrafficKind = std::string;

template <class Factory>
struct RegistryEntry {
  std::string name;
  std::string description;
  std::vector<OptionSpec> options;
  Factory factory;
  std::function<Support()> probe = [] { return Support{}; };
  std::vector<TrafficKind> traffic;   // datapath: kinds it carries; workload: the one it makes
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

// Whether datapath `d` can carry the traffic workload `w` makes.
inline bool traffic_compatible(const DatapathRegistry::Entry& d, const WorkloadRegistry::Entry& w) {
  if (w.traffic.empty()) return true;
  return std::find(d.traffic.begin(), d.traffic.end(), w.traffic.front()) != d.traffic.end();
}

}  // namespace benchlab
