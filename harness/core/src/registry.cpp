#include "benchlab/core/registry.hpp"

namespace benchlab {
namespace {

constexpr TrafficKindInfo kKinds[] = {
    {"stream", "TCP byte streams: bulk transfer and request/response over connected sockets"},
    {"packet", "frames or datagrams counted one by one (UDP, XDP, AF_XDP)"},
};

template <class R>
void check_entries(const R& reg, const char* what, bool one_kind, std::vector<std::string>& out) {
  for (const auto& e : reg.entries()) {
    const std::string who = std::string(what) + " " + e.name;
    if (one_kind && e.traffic.size() > 1) out.push_back(who + ": a workload produces one traffic kind");
    for (const auto& k : e.traffic)
      if (!is_traffic_kind(k)) out.push_back(who + ": unknown traffic kind '" + k + "'");
    for (const auto& k : e.baseline_of)
      if (std::find(e.traffic.begin(), e.traffic.end(), k) == e.traffic.end())
        out.push_back(who + ": baseline of '" + k + "', a kind it does not carry");
    for (const auto& m : e.metrics)
      if (std::string why = check_metric(m); !why.empty()) out.push_back(who + ": " + why);
    for (const auto& a : e.axes) {
      if (a.type != OptionType::integer && a.type != OptionType::string)
        out.push_back(who + ": axis " + a.name + " must be an integer or a string");
      if (a.name.empty()) out.push_back(who + ": an axis without a name");
    }
  }
}

}  // namespace

std::span<const TrafficKindInfo> traffic_kinds() { return kKinds; }

bool is_traffic_kind(const std::string& k) {
  return std::any_of(std::begin(kKinds), std::end(kKinds), [&](const TrafficKindInfo& i) { return k == i.name; });
}

const DatapathRegistry::Entry* baseline_of(const DatapathRegistry& reg, const TrafficKind& kind) {
  for (const auto& e : reg.entries())
    if (std::find(e.baseline_of.begin(), e.baseline_of.end(), kind) != e.baseline_of.end()) return &e;
  return nullptr;
}

std::vector<std::string> check_registries(const Registries& r) {
  std::vector<std::string> out;
  check_entries(r.topologies, "topology", false, out);
  check_entries(r.datapaths, "datapath", false, out);
  check_entries(r.workloads, "workload", true, out);
  for (const auto& k : kKinds) {
    int n = 0;
    for (const auto& d : r.datapaths.entries())
      n += int(std::count(d.baseline_of.begin(), d.baseline_of.end(), std::string(k.name)));
    if (n > 1) out.push_back(std::string("traffic kind ") + k.name + " has more than one baseline");
  }
  return out;
}

}  // namespace benchlab
