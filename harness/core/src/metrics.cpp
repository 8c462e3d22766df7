#include "benchlab/core/metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace benchlab {
namespace {

// An enum's names, for the report's text form of a metric declaration.
template <class E>
struct Named {
  E value;
  const char* name;
};
template <class E, size_t N>
std::string name_in(const Named<E> (&table)[N], E v) {
  for (const auto& x : table)
    if (x.value == v) return x.name;
  return "?";
}
template <class E, size_t N>
bool parse_in(const Named<E> (&table)[N], const std::string& s, E* out) {
  for (const auto& x : table)
    if (s == x.name) return *out = x.value, true;
  return false;
}

constexpr Named<Direction> kDirections[] = {
    {Direction::higher_is_better, "higher"}, {Direction::lower_is_better, "lower"}, {Direction::neither, "neither"}};

constexpr Named<Derivation> kDerivations[] = {
    {Derivation::window, "window"},     {Derivation::rate, "rate"},
    {Derivation::total, "total"},       {Derivation::percentile, "percentile"},
    {Derivation::latency_max, "latency_max"}, {Derivation::cpu, "cpu"},
    {Derivation::cpu_per_unit, "cpu_per_unit"}, {Derivation::counter, "counter"},
    {Derivation::counter_rate, "counter_rate"}, {Derivation::extra, "extra"},
};

constexpr const char* kSampleFields[] = {"bytes", "messages", "transactions", "packets", "drops"};
constexpr const char* kCpuKinds[] = {"busy", "user", "system", "softirq", "idle"};

double ratio(double num, double den) {
  if (den == 0) return 0;
  const double r = num / den;
  return std::isfinite(r) ? r : 0;
}

// A counter that went backwards (CPU hot-unplug, a reset) contributes nothing.
double up(double end, double begin) { return std::max(0.0, end - begin); }

struct Window {
  double seconds = 0;
  std::array<double, std::size(kSampleFields)> sums{};
};
Window measured(const WorkloadResult& r) {
  Window w;
  for (const IntervalSample& s : r.samples) {
    if (s.warmup || s.cooldown) continue;
    w.seconds += s.duration_s;
    for (size_t i = 0; i < std::size(kSampleFields); ++i) w.sums[i] += double(sample_field(s, kSampleFields[i]));
  }
  return w;
}
double sum_of(const Window& w, const std::string& field) {
  for (size_t i = 0; i < std::size(kSampleFields); ++i)
    if (field == kSampleFields[i]) return w.sums[i];
  return 0;
}

double cpu_seconds(const RunData& run, const std::string& kind) {
  double total = 0;
  const size_t ncpu = std::min(run.cpu_begin.per_cpu.size(), run.cpu_end.per_cpu.size());
  for (size_t i = 0; i < ncpu; ++i) {
    const CpuTimes& b = run.cpu_begin.per_cpu[i];
    const CpuTimes& e = run.cpu_end.per_cpu[i];
    if (kind == "busy")
      total += up(e.user_s, b.user_s) + up(e.nice_s, b.nice_s) + up(e.system_s, b.system_s) + up(e.irq_s, b.irq_s) +
               up(e.softirq_s, b.softirq_s) + up(e.steal_s, b.steal_s);
    else if (kind == "user") total += up(e.user_s, b.user_s);
    else if (kind == "system") total += up(e.system_s, b.system_s);
    else if (kind == "softirq") total += up(e.softirq_s, b.softirq_s);
    else if (kind == "idle") total += up(e.idle_s, b.idle_s);
  }
  return total;
}

double counter_of(const RunData& run, const std::string& name) {
  auto it = run.counters.find(name);
  return it == run.counters.end() ? 0 : double(it->second);
}

bool one_of(const std::string& s, std::span<const char* const> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

const std::vector<MetricSpec> kCommon = {
    {.name = "window_s", .unit = "s", .direction = Direction::neither, .derivation = Derivation::window,
     .doc = "length of the measured window"},
    {.name = "cpu_busy_s", .unit = "s", .direction = Direction::neither, .derivation = Derivation::cpu,
     .source = "busy", .doc = "CPU time of all CPUs in the window (user+nice+system+irq+softirq+steal)"},
    {.name = "cpu_user_s", .unit = "s", .direction = Direction::neither, .derivation = Derivation::cpu,
     .source = "user", .doc = "user CPU time of all CPUs in the window"},
    {.name = "cpu_system_s", .unit = "s", .direction = Direction::neither, .derivation = Derivation::cpu,
     .source = "system", .doc = "system CPU time of all CPUs in the window"},
    {.name = "cpu_softirq_s", .unit = "s", .direction = Direction::neither, .derivation = Derivation::cpu,
     .source = "softirq", .doc = "softirq CPU time of all CPUs in the window"},
    {.name = "cpu_idle_s", .unit = "s", .direction = Direction::neither, .derivation = Derivation::cpu,
     .source = "idle", .doc = "idle time of all CPUs in the window"},
};

}  // namespace

std::string to_string(Direction d) { return name_in(kDirections, d); }
bool parse_direction(const std::string& s, Direction* out) { return parse_in(kDirections, s, out); }
std::string to_string(Derivation d) { return name_in(kDerivations, d); }
bool parse_derivation(const std::string& s, Derivation* out) { return parse_in(kDerivations, s, out); }

std::span<const char* const> sample_fields() { return kSampleFields; }

uint64_t sample_field(const IntervalSample& s, const std::string& f) {
  if (f == "bytes") return s.bytes;
  if (f == "messages") return s.messages;
  if (f == "transactions") return s.transactions;
  if (f == "packets") return s.packets;
  if (f == "drops") return s.drops;
  return 0;
}

double derive_metric(const MetricSpec& m, const RunData& run) {
  const Window w = measured(run.result);
  switch (m.derivation) {
    case Derivation::window: return run.result.window_s > 0 ? run.result.window_s : w.seconds;
    case Derivation::rate: return ratio(sum_of(w, m.source) * m.scale, w.seconds);
    case Derivation::total: return sum_of(w, m.source) * m.scale;
    case Derivation::percentile:
      if (!run.result.latency_ns || run.result.latency_ns->count() == 0) return 0;
      return double(run.result.latency_ns->percentile(m.quantile)) * m.scale;
    case Derivation::latency_max:
      if (!run.result.latency_ns || run.result.latency_ns->count() == 0) return 0;
      return double(run.result.latency_ns->max()) * m.scale;
    case Derivation::cpu: return cpu_seconds(run, m.source);
    case Derivation::cpu_per_unit: return ratio(cpu_seconds(run, "busy") * m.scale, sum_of(w, m.source));
    case Derivation::counter: return counter_of(run, m.source) * m.scale;
    case Derivation::counter_rate: return ratio(counter_of(run, m.source) * m.scale, w.seconds);
    case Derivation::extra: {
      auto it = run.result.extra.find(m.source);
      return it == run.result.extra.end() || !std::isfinite(it->second) ? 0 : it->second * m.scale;
    }
  }
  return 0;
}

std::span<const MetricSpec> common_metrics() { return kCommon; }

std::vector<MetricSpec> latency_metrics() {
  auto pct = [](const char* name, double q, const char* doc, bool headline) {
    return MetricSpec{.name = name, .unit = "µs", .direction = Direction::lower_is_better,
                      .derivation = Derivation::percentile, .scale = 1e-3, .quantile = q, .doc = doc,
                      .headline = headline};
  };
  std::vector<MetricSpec> m = {
      pct("p50_us", 0.50, "median round-trip latency", true),
      pct("p90_us", 0.90, "90th percentile round-trip latency", false),
      pct("p99_us", 0.99, "99th percentile round-trip latency", true),
      pct("p999_us", 0.999, "99.9th percentile round-trip latency", false),
  };
  m.push_back({.name = "max_us", .unit = "µs", .direction = Direction::lower_is_better,
               .derivation = Derivation::latency_max, .scale = 1e-3, .doc = "largest round-trip latency"});
  return m;
}

std::string check_metric(const MetricSpec& m) {
  if (m.name.empty()) return "a metric needs a name";
  if (m.unit.empty()) return "metric " + m.name + " declares no unit";
  switch (m.derivation) {
    case Derivation::rate:
    case Derivation::total:
    case Derivation::cpu_per_unit:
      if (!one_of(m.source, kSampleFields)) return "metric " + m.name + ": '" + m.source + "' is not a sample field";
      break;
    case Derivation::cpu:
      if (!one_of(m.source, kCpuKinds)) return "metric " + m.name + ": '" + m.source + "' is not a CPU time kind";
      break;
    case Derivation::percentile:
      if (!(m.quantile > 0 && m.quantile <= 1)) return "metric " + m.name + ": quantile outside (0, 1]";
      break;
    case Derivation::counter:
    case Derivation::counter_rate:
    case Derivation::extra:
      if (m.source.empty()) return "metric " + m.name + " names no source";
      break;
    case Derivation::window:
    case Derivation::latency_max: break;
  }
  return "";
}

}  // namespace benchlab
