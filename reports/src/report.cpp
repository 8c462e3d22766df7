// The report file: writer, reader, schema versioning. The layout is documented key by key in
// reports/README.md; keep the two in step. Derived figures and the summary are written for
// readers that do not link benchlab (jq, plot.py) and are recomputed from the runs on read.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "benchlab/reports/report.hpp"

namespace benchlab::reports {

std::string to_string(RunStatus s) {
  switch (s) {
    case RunStatus::ok: return "ok";
    case RunStatus::failed: return "failed";
    case RunStatus::skipped: return "skipped";
  }
  return "unknown";
}

namespace {

// Written in schema order (ordered_json keeps insertion order), so a report reads top-down:
// version, provenance, context, scenario, runs, summary.
using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------- writing

// JSON has no NaN or infinity; nlohmann would print them as null anyway, but to_json() must
// say what the file says, so they become null in the tree itself.
void null_non_finite(ojson& j) {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) {
    j = nullptr;
  } else if (j.is_structured()) {
    for (auto& v : j) null_non_finite(v);
  }
}

ojson cell_json(const Cell& c) {
  // Sorted by name, as a reader's JSON object gives them back (the label keeps the matrix order).
  std::map<std::string, OptionValue> sorted;
  for (const AxisValue& a : c.axes()) sorted.emplace(a.name, a.value);
  ojson axes = ojson::object();
  for (const auto& [name, v] : sorted) axes[name] = ojson(benchlab::to_json(v));
  return {{"label", c.label()}, {"workload", c.workload()}, {"axes", axes}};
}

ojson metric_spec_json(const MetricSpec& m) {
  ojson j = {{"name", m.name},
             {"unit", m.unit},
             {"direction", to_string(m.direction)},
             {"derivation", to_string(m.derivation)},
             {"source", m.source},
             {"scale", m.scale}};
  if (m.derivation == Derivation::percentile) j["quantile"] = m.quantile;
  j["doc"] = m.doc;
  j["headline"] = m.headline;
  if (!m.display_unit.empty()) j["display_unit"] = m.display_unit;
  if (m.display_scale != 1) j["display_scale"] = m.display_scale;
  return j;
}

ojson metric_list_json(const std::vector<MetricSpec>& ms) {
  ojson a = ojson::array();
  for (const MetricSpec& m : ms) a.push_back(metric_spec_json(m));
  return a;
}

ojson metric_table_json(const MetricTable& t) {
  ojson w = ojson::object(), d = ojson::object();
  for (const auto& [k, v] : t.workloads) w[k] = metric_list_json(v);
  for (const auto& [k, v] : t.datapaths) d[k] = metric_list_json(v);
  return {{"common", metric_list_json(t.common)},
          {"workloads", w},
          {"datapaths", d},
          {"workload_kinds", ojson(t.workload_kinds)},
          {"baselines", ojson(t.baselines)}};
}

ojson samples_json(const std::vector<IntervalSample>& samples) {
  ojson a = ojson::array();
  for (const auto& s : samples)
    a.push_back({{"start_s", s.start_s},
                 {"duration_s", s.duration_s},
                 {"bytes", s.bytes},
                 {"messages", s.messages},
                 {"transactions", s.transactions},
                 {"packets", s.packets},
                 {"drops", s.drops},
                 {"warmup", s.warmup},
                 {"cooldown", s.cooldown}});
  return a;
}

ojson result_json(const WorkloadResult& r) {
  ojson procs = ojson::array();
  for (const auto& p : r.processes)
    procs.push_back({{"role", p.role}, {"user_s", p.user_s}, {"system_s", p.system_s}, {"cpu", p.cpu}});
  ojson extra = ojson::object();
  for (const auto& [k, v] : r.extra) extra[k] = v;
  return {{"window_s", r.window_s},
          {"samples", samples_json(r.samples)},
          {"latency_ns", r.latency_ns ? ojson(r.latency_ns->to_json()) : ojson(nullptr)},
          {"processes", procs},
          {"extra", extra},
          {"payload_checked", r.payload_checked},
          {"payload_errors", r.payload_errors}};
}

// Per-CPU times are stored column-wise: one array per /proc/stat field, indexed by CPU.
constexpr std::pair<const char*, double CpuTimes::*> kCpuColumns[] = {
    {"user_s", &CpuTimes::user_s},     {"nice_s", &CpuTimes::nice_s},
    {"system_s", &CpuTimes::system_s}, {"idle_s", &CpuTimes::idle_s},
    {"iowait_s", &CpuTimes::iowait_s}, {"irq_s", &CpuTimes::irq_s},
    {"softirq_s", &CpuTimes::softirq_s}, {"steal_s", &CpuTimes::steal_s},
};

ojson cpu_json(const CpuSnapshot& s) {
  ojson o = {{"mono_s", s.mono_s}};
  for (const auto& [key, member] : kCpuColumns) {
    ojson col = ojson::array();
    for (const auto& c : s.per_cpu) col.push_back(c.*member);
    o[key] = std::move(col);
  }
  return o;
}

ojson run_json(const RunRecord& r, const MetricTable& table) {
  ojson counters = ojson::object();
  for (const auto& [k, v] : r.counters_delta) counters[k] = v;
  ojson links = ojson::array();
  for (const LinkCounters& l : r.links_delta)
    links.push_back({{"role", l.role},
                     {"ifname", l.ifname},
                     {"rx_packets", l.rx_packets},
                     {"tx_packets", l.tx_packets},
                     {"rx_bytes", l.rx_bytes},
                     {"tx_bytes", l.tx_bytes},
                     {"rx_dropped", l.rx_dropped},
                     {"tx_dropped", l.tx_dropped}});
  ojson derived = ojson::object();
  for (const auto& [name, v] : derive(table, r)) derived[name] = v;
  return {{"cell", cell_json(r.cell)},
          {"datapath", r.datapath},
          {"variant", r.variant},
          {"variant_axes", ojson(benchlab::to_json(r.variant_axes))},
          {"repetition", r.repetition},
          {"status", to_string(r.status)},
          {"error", r.error},
          {"started_unix_s", r.started_unix_s},
          {"topology_build_ms", r.topology_build_ms},
          {"topology_teardown_ms", r.topology_teardown_ms},
          {"result", result_json(r.result)},
          {"cpu_begin", cpu_json(r.cpu_begin)},
          {"cpu_end", cpu_json(r.cpu_end)},
          {"counters_delta", counters},
          {"links_delta", links},
          {"engagement",
           {{"checked", r.engagement.checked},
            {"ok", r.engagement.ok},
            {"carried_share", r.engagement.carried_share},
            {"message", r.engagement.message}}},
          {"derived", derived}};
}

ojson scenario_json(const ScenarioInfo& s) {
  ojson not_run = ojson::array();
  for (const auto& x : s.not_run) not_run.push_back({{"datapath", x.datapath}, {"workload", x.workload}, {"reason", x.reason}});
  return {{"name", s.name},
          {"description", s.description},
          {"file", s.file},
          {"sha256", s.sha256},
          {"duration_s", s.duration_s},
          {"warmup_s", s.warmup_s},
          {"repetitions", s.repetitions},
          {"topology", s.topology},
          {"family", s.family},
          {"datapaths", s.datapaths},
          {"workloads", s.workloads},
          {"matrix", ojson(s.matrix)},
          {"options", ojson(s.options)},
          {"overrides", s.overrides},
          {"not_run", not_run},
          {"noise_limit_pct", s.noise_limit_pct},
          {"gates", s.gates.is_null() ? ojson(nullptr) : ojson(s.gates)}};
}

ojson summary_json(const Report& r) {
  ojson rows = ojson::array();
  for (const auto& row : r.summary) {
    ojson metrics = ojson::object();
    // Declaration order, not alphabetical: common, the workload's, the datapath's.
    for (const MetricSpec& spec : metrics_of(r.metrics, row.cell.workload(), row.datapath)) {
      auto it = row.metrics.find(spec.name);
      if (it == row.metrics.end()) continue;
      const MetricSummary& m = it->second;
      metrics[spec.name] = {{"n", m.n},     {"median", m.median}, {"q1", m.q1},
                            {"q3", m.q3},   {"iqr", m.iqr},       {"min", m.min},
                            {"max", m.max},
                            {"ratio_to_baseline", m.ratio_to_baseline ? ojson(*m.ratio_to_baseline) : ojson(nullptr)},
                            {"cv_pct", m.cv_pct},
                            {"ci_low", m.ci_low},
                            {"ci_high", m.ci_high},
                            {"noisy", m.noisy},
                            {"p_vs_baseline", m.p_vs_baseline ? ojson(*m.p_vs_baseline) : ojson(nullptr)},
                            {"significant", m.significant}};
    }
    rows.push_back({{"cell_label", row.cell_label},
                    {"cell", cell_json(row.cell)},
                    {"datapath", row.datapath},
                    {"variant", row.variant},
                    {"kind", row.kind},
                    {"baseline", row.baseline},
                    {"ok_runs", row.ok_runs},
                    {"failed_runs", row.failed_runs},
                    {"skipped_runs", row.skipped_runs},
                    {"metrics", metrics}});
  }
  return {{"baselines", ojson(r.metrics.baselines)}, {"rows", rows}};
}

ojson report_json(const Report& r) {
  ojson runs = ojson::array();
  for (const auto& run : r.runs) runs.push_back(run_json(run, r.metrics));
  ojson j = {{"schema_version", r.schema_version},
             {"benchlab_version", r.benchlab_version},
             {"git_revision", r.git_revision},
             {"created_utc", r.created_utc},
             {"wall_s", r.wall_s},
             {"context", ojson(r.context)},
             {"scenario", scenario_json(r.scenario)},
             {"metrics", metric_table_json(r.metrics)},
             {"runs", runs},
             {"summary", summary_json(r)}};
  null_non_finite(j);
  return j;
}

// Pretty printing for people and diffs: objects open one key per line, but a flat record
// (scalars only, at most kInlineKeys keys) and an array of scalars or of flat arrays stay on one
// line, so a sample, a metric summary or a per-CPU column reads as one row.
constexpr size_t kInlineKeys = 16;

bool is_flat_array(const ojson& j) {
  return j.is_array() && std::all_of(j.begin(), j.end(), [](const ojson& v) { return v.is_primitive(); });
}

bool fits_one_line(const ojson& j) {
  if (j.is_object())
    return j.size() <= kInlineKeys && std::all_of(j.begin(), j.end(), [](const ojson& v) { return v.is_primitive(); });
  if (j.is_array())
    return std::all_of(j.begin(), j.end(), [](const ojson& v) { return v.is_primitive() || is_flat_array(v); });
  return true;
}

void print(const ojson& j, std::string& out, int indent) {
  const bool inline_ = fits_one_line(j);
  if (j.is_object()) {
    if (j.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (const auto& [k, v] : j.items()) {
      out += first ? "" : ",";
      first = false;
      if (inline_) {
        out += out.back() == '{' ? "" : " ";
      } else {
        out += '\n';
        out.append(static_cast<size_t>(indent + 2), ' ');
      }
      out += ojson(k).dump();
      out += ": ";
      print(v, out, indent + 2);
    }
    if (!inline_) {
      out += '\n';
      out.append(static_cast<size_t>(indent), ' ');
    }
    out += '}';
  } else if (j.is_array()) {
    if (j.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    bool first = true;
    for (const auto& v : j) {
      if (!first) out += inline_ ? ", " : ",";
      first = false;
      if (!inline_) {
        out += '\n';
        out.append(static_cast<size_t>(indent + 2), ' ');
      }
      print(v, out, indent + 2);
    }
    if (!inline_) {
      out += '\n';
      out.append(static_cast<size_t>(indent), ' ');
    }
    out += ']';
  } else {
    out += j.dump();
  }
}

// ---------------------------------------------------------------------------------- reading

using json = nlohmann::json;

// Thrown with "<where>: <what>"; from_json and read_report turn it into one line for the user.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string describe(const json& j) {
  if (j.is_string() || j.is_number() || j.is_boolean() || j.is_null()) {
    std::string s = j.dump();
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return fmt::format("{} {}", j.type_name(), s);
  }
  return j.type_name();
}

// A JSON value plus the path that reached it ("runs[3].result.samples[0].bytes"), so every
// complaint names the exact key.
class Node {
 public:
  Node(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(fmt::format("{}: {}", path_.empty() ? "top level" : path_, what));
  }

  const json& raw() const { return j_; }

  Node operator[](const char* key) const {
    object();
    auto it = j_.find(key);
    if (it == j_.end()) fail(fmt::format("missing key \"{}\"", key));
    return Node(*it, path_.empty() ? key : path_ + "." + key);
  }
  bool has(const char* key) const { return j_.is_object() && j_.contains(key); }

  const json& object() const {
    if (!j_.is_object()) fail("expected an object, found " + describe(j_));
    return j_;
  }
  std::vector<Node> array() const {
    if (!j_.is_array()) fail("expected an array, found " + describe(j_));
    std::vector<Node> out;
    for (size_t i = 0; i < j_.size(); ++i) out.emplace_back(j_[i], fmt::format("{}[{}]", path_, i));
    return out;
  }
  std::vector<std::pair<std::string, Node>> members() const {
    std::vector<std::pair<std::string, Node>> out;
    for (const auto& [k, v] : object().items()) out.emplace_back(k, Node(v, path_ + "." + k));
    return out;
  }

  std::string str() const {
    if (!j_.is_string()) fail("expected a string, found " + describe(j_));
    return j_.get<std::string>();
  }
  bool boolean() const {
    if (!j_.is_boolean()) fail("expected true or false, found " + describe(j_));
    return j_.get<bool>();
  }
  // The writer turns NaN and infinities into null (JSON has no such numbers); read them back
  // as NaN rather than rejecting a file the writer produced.
  double num() const {
    if (j_.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!j_.is_number()) fail("expected a number, found " + describe(j_));
    return j_.get<double>();
  }
  uint64_t u64() const {
    if (j_.is_number_unsigned()) return j_.get<uint64_t>();
    fail("expected a non-negative integer, found " + describe(j_));
  }
  int64_t i64() const {
    if (j_.is_number_integer() && !(j_.is_number_unsigned() && j_.get<uint64_t>() > INT64_MAX))
      return j_.get<int64_t>();
    fail("expected an integer, found " + describe(j_));
  }
  int integer() const {
    const int64_t v = i64();
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
      fail("integer out of range: " + describe(j_));
    return static_cast<int>(v);
  }
  uint32_t u32() const {
    const uint64_t v = u64();
    if (v > UINT32_MAX) fail("integer out of range: " + describe(j_));
    return static_cast<uint32_t>(v);
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (const Node& n : array()) out.push_back(n.str());
    return out;
  }

 private:
  const json& j_;
  std::string path_;
};

OptionValue read_value(const Node& n) {
  const json& j = n.raw();
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number_integer()) return n.i64();
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) return j.get<std::string>();
  n.fail("expected a boolean, number or string, found " + describe(j));
}

OptionValues read_options(const Node& n) {
  OptionValues v;
  for (const auto& [k, x] : n.members()) v.set(k, read_value(x));
  return v;
}

Cell read_cell(const Node& n) {
  std::vector<AxisValue> axes;
  for (const auto& [k, v] : n["axes"].members()) axes.push_back({k, read_value(v)});
  return Cell(n["workload"].str(), std::move(axes), n["label"].str());
}

MetricSpec read_metric_spec(const Node& n) {
  MetricSpec m;
  m.name = n["name"].str();
  m.unit = n["unit"].str();
  if (!parse_direction(n["direction"].str(), &m.direction))
    n["direction"].fail("expected higher, lower or neither");
  if (!parse_derivation(n["derivation"].str(), &m.derivation)) n["derivation"].fail("unknown derivation");
  m.source = n["source"].str();
  m.scale = n["scale"].num();
  if (n.has("quantile")) m.quantile = n["quantile"].num();
  m.doc = n["doc"].str();
  m.headline = n["headline"].boolean();
  if (n.has("display_unit")) m.display_unit = n["display_unit"].str();
  if (n.has("display_scale")) m.display_scale = n["display_scale"].num();
  if (std::string why = check_metric(m); !why.empty()) n.fail(why);
  return m;
}

std::vector<MetricSpec> read_metric_list(const Node& n) {
  std::vector<MetricSpec> out;
  for (const Node& m : n.array()) out.push_back(read_metric_spec(m));
  return out;
}

MetricTable read_metric_table(const Node& n) {
  MetricTable t;
  t.common = read_metric_list(n["common"]);
  for (const auto& [k, v] : n["workloads"].members()) t.workloads[k] = read_metric_list(v);
  for (const auto& [k, v] : n["datapaths"].members()) t.datapaths[k] = read_metric_list(v);
  for (const auto& [k, v] : n["workload_kinds"].members()) t.workload_kinds[k] = v.str();
  for (const auto& [k, v] : n["baselines"].members()) t.baselines[k] = v.str();
  return t;
}

WorkloadResult read_result(const Node& n) {
  WorkloadResult r;
  r.window_s = n["window_s"].num();
  for (const Node& s : n["samples"].array()) {
    IntervalSample x;
    x.start_s = s["start_s"].num();
    x.duration_s = s["duration_s"].num();
    x.bytes = s["bytes"].u64();
    x.messages = s["messages"].u64();
    x.transactions = s["transactions"].u64();
    if (s.has("packets")) x.packets = s["packets"].u64();   // absent in version 1
    if (s.has("drops")) x.drops = s["drops"].u64();
    x.warmup = s["warmup"].boolean();
    x.cooldown = s.has("cooldown") && s["cooldown"].boolean();   // optional: absent means false
    r.samples.push_back(x);
  }
  const Node lat = n["latency_ns"];
  if (!lat.raw().is_null()) {
    lat.object();
    try {
      r.latency_ns = Histogram::from_json(lat.raw());
    } catch (const std::exception& e) {
      lat.fail(e.what());
    }
  }
  for (const Node& p : n["processes"].array())
    r.processes.push_back({p["role"].str(), p["user_s"].num(), p["system_s"].num(), p["cpu"].integer()});
  for (const auto& [k, v] : n["extra"].members()) r.extra[k] = v.num();
  r.payload_checked = n["payload_checked"].boolean();
  r.payload_errors = n["payload_errors"].u64();
  return r;
}

CpuSnapshot read_cpu(const Node& n) {
  CpuSnapshot s;
  s.mono_s = n["mono_s"].num();
  bool first = true;
  for (const auto& [key, member] : kCpuColumns) {
    const Node col = n[key];
    const auto values = col.array();
    if (first) {
      s.per_cpu.resize(values.size());
      first = false;
    } else if (values.size() != s.per_cpu.size()) {
      col.fail(fmt::format("has {} CPUs, but user_s has {}", values.size(), s.per_cpu.size()));
    }
    for (size_t i = 0; i < values.size(); ++i) s.per_cpu[i].*member = values[i].num();
  }
  return s;
}

RunStatus read_status(const Node& n) {
  const std::string s = n.str();
  if (s == "ok") return RunStatus::ok;
  if (s == "failed") return RunStatus::failed;
  if (s == "skipped") return RunStatus::skipped;
  n.fail(fmt::format("unknown run status \"{}\" (expected ok, failed or skipped)", s));
}

RunRecord read_run(const Node& n) {
  RunRecord r;
  r.cell = read_cell(n["cell"]);
  r.datapath = n["datapath"].str();
  r.variant = n["variant"].str();
  r.variant_axes = read_options(n["variant_axes"]);
  r.repetition = n["repetition"].integer();
  r.status = read_status(n["status"]);
  r.error = n["error"].str();
  r.started_unix_s = n["started_unix_s"].num();
  r.topology_build_ms = n["topology_build_ms"].num();
  r.topology_teardown_ms = n["topology_teardown_ms"].num();
  r.result = read_result(n["result"]);
  r.cpu_begin = read_cpu(n["cpu_begin"]);
  r.cpu_end = read_cpu(n["cpu_end"]);
  for (const auto& [k, v] : n["counters_delta"].members()) r.counters_delta[k] = v.u64();
  if (n.has("links_delta"))   // absent in reports written before typed link counters
    for (const Node& l : n["links_delta"].array()) {
      LinkCounters c;
      c.role = l["role"].str();
      c.ifname = l["ifname"].str();
      c.rx_packets = l["rx_packets"].u64();
      c.tx_packets = l["tx_packets"].u64();
      c.rx_bytes = l["rx_bytes"].u64();
      c.tx_bytes = l["tx_bytes"].u64();
      c.rx_dropped = l["rx_dropped"].u64();
      c.tx_dropped = l["tx_dropped"].u64();
      r.links_delta.push_back(std::move(c));
    }
  const Node e = n["engagement"];
  r.engagement.checked = e["checked"].boolean();
  r.engagement.ok = e["ok"].boolean();
  r.engagement.carried_share = e["carried_share"].num();
  r.engagement.message = e["message"].str();
  return r;   // "derived" is recomputed from the raw records, never read back
}

ScenarioInfo read_scenario(const Node& n) {
  ScenarioInfo s;
  s.name = n["name"].str();
  s.description = n["description"].str();
  s.file = n["file"].str();
  s.sha256 = n["sha256"].str();
  s.duration_s = n["duration_s"].num();
  s.warmup_s = n["warmup_s"].num();
  s.repetitions = n["repetitions"].integer();
  s.topology = n["topology"].str();
  s.family = n["family"].str();
  s.datapaths = n["datapaths"].strings();
  s.workloads = n["workloads"].strings();
  s.matrix = n["matrix"].raw();
  s.options = n["options"].raw();
  s.overrides = n["overrides"].strings();
  for (const Node& x : n["not_run"].array())
    s.not_run.push_back({x["datapath"].str(), x["workload"].str(), x["reason"].str()});
  // Added without a version bump (reports before them read as the defaults).
  if (n.has("noise_limit_pct")) {
    s.noise_limit_pct = n["noise_limit_pct"].num();
    if (!(s.noise_limit_pct > 0)) n["noise_limit_pct"].fail("expected a positive number");
  }
  if (n.has("gates") && !n["gates"].raw().is_null()) {
    n["gates"].object();
    s.gates = n["gates"].raw();
  }
  return s;
}

// Version 1 summarised every row with the same sixteen figures, whatever its workload; its
// reports are upgraded with exactly that table (as data: it must not move when workloads'
// declarations do), so a version-1 file reads as it did.
json v1_metric_table(const json& baseline) {
  auto spec = [](const char* name, const char* unit, Direction d, Derivation how, const char* source = "",
                 double scale = 1, double q = 0, bool headline = false, const char* du = "", double ds = 1) {
    MetricSpec m{.name = name, .unit = unit, .direction = d, .derivation = how, .source = source, .scale = scale,
                 .quantile = q, .headline = headline, .display_unit = du, .display_scale = ds};
    return json(metric_spec_json(m));
  };
  const auto H = Direction::higher_is_better, L = Direction::lower_is_better, N = Direction::neither;
  json common = json::array({
      spec("window_s", "s", N, Derivation::window),
      spec("throughput_bps", "bit/s", H, Derivation::rate, "bytes", 8, 0, true, "Gbit/s", 1e-9),
      spec("messages_per_s", "1/s", H, Derivation::rate, "messages"),
      spec("transactions_per_s", "1/s", H, Derivation::rate, "transactions", 1, 0, true),
      spec("p50_us", "µs", L, Derivation::percentile, "", 1e-3, 0.50, true),
      spec("p90_us", "µs", L, Derivation::percentile, "", 1e-3, 0.90),
      spec("p99_us", "µs", L, Derivation::percentile, "", 1e-3, 0.99, true),
      spec("p999_us", "µs", L, Derivation::percentile, "", 1e-3, 0.999),
      spec("max_us", "µs", L, Derivation::latency_max, "", 1e-3),
      spec("cpu_busy_s", "s", N, Derivation::cpu, "busy"),
      spec("cpu_user_s", "s", N, Derivation::cpu, "user"),
      spec("cpu_system_s", "s", N, Derivation::cpu, "system"),
      spec("cpu_softirq_s", "s", N, Derivation::cpu, "softirq"),
      spec("cpu_idle_s", "s", N, Derivation::cpu, "idle"),
      spec("cpu_s_per_gb", "s/GB", L, Derivation::cpu_per_unit, "bytes", 1e9, 0, true, "CPU s/GB"),
      spec("cpu_us_per_transaction", "µs", L, Derivation::cpu_per_unit, "transactions", 1e6),
  });
  return {{"common", common},
          {"workloads", json::object()},
          {"datapaths", json::object()},
          {"workload_kinds", json::object()},
          {"baselines", {{"stream", baseline}}}};
}

// Version 1 -> 2: cells name their axes, runs their variant, the report its metric table.
void upgrade_v1(json& j) {
  auto cell = [](json& c) {
    if (!c.is_object() || !c.contains("message_size_bytes")) return;   // malformed: the reader says where
    json axes = {{"message_size", c["message_size_bytes"]}, {"flows", c["flows"]}, {"cpu_placement", c["cpu_placement"]}};
    c = {{"label", c.value("label", "")}, {"workload", c["workload"]}, {"axes", axes}};
  };
  json baseline = "kernel";
  if (j.contains("summary") && j["summary"].is_object() && j["summary"].contains("baseline_datapath"))
    baseline = j["summary"]["baseline_datapath"];
  json table = v1_metric_table(baseline);
  if (j.contains("scenario") && j["scenario"].is_object()) {
    j["scenario"]["not_run"] = json::array();
    if (j["scenario"].contains("workloads") && j["scenario"]["workloads"].is_array())
      for (const auto& w : j["scenario"]["workloads"])
        if (w.is_string()) table["workload_kinds"][w.get<std::string>()] = "stream";
  }
  j["metrics"] = table;
  if (j.contains("runs") && j["runs"].is_array())
    for (json& run : j["runs"]) {
      if (!run.is_object()) continue;
      if (run.contains("cell")) cell(run["cell"]);
      run["variant"] = run.value("datapath", json(""));
      run["variant_axes"] = json::object();
    }
  j["schema_version"] = 2;
}

// Brings an older report up to kReportSchemaVersion in place, one version step at a time; add a
// step (and a checked-in file under tests/data) whenever the layout changes.
void upgrade(json& j, int from) {
  if (from < 2) upgrade_v1(j);
}

Report read_report_json(const json& in) {
  const Node top(in, "");
  top.object();
  const int version = top["schema_version"].integer();
  if (version > kReportSchemaVersion)
    throw std::runtime_error(fmt::format("report schema_version {} is newer than this benchlab understands ({})",
                                         version, kReportSchemaVersion));
  if (version < 1) top["schema_version"].fail(fmt::format("{} is not a valid report schema_version", version));

  json j = in;
  upgrade(j, version);
  const Node n(j, "");

  Report r;
  r.schema_version = kReportSchemaVersion;
  r.benchlab_version = n["benchlab_version"].str();
  r.git_revision = n["git_revision"].str();
  r.created_utc = n["created_utc"].str();
  r.wall_s = n["wall_s"].num();
  r.context = n["context"].object();
  r.scenario = read_scenario(n["scenario"]);
  r.metrics = read_metric_table(n["metrics"]);
  for (const Node& run : n["runs"].array()) r.runs.push_back(read_run(run));
  summarize(r);   // recomputed from the raw runs with the report's own metric table
  return r;
}

std::string without_json_prefix(const char* what) {
  // nlohmann prefixes "[json.exception.parse_error.101] "; the user needs only the rest.
  std::string s = what;
  if (s.rfind("[json.exception.", 0) == 0)
    if (auto p = s.find("] "); p != std::string::npos) s = s.substr(p + 2);
  return s;
}

}  // namespace

nlohmann::json to_json(const Report& r) { return nlohmann::json(report_json(r)); }

std::string to_json_text(const Report& r) {
  std::string out;
  print(report_json(r), out, 0);
  return out + "\n";
}

nlohmann::json run_to_json(const RunRecord& r, const MetricTable& metrics) {
  ojson j = run_json(r, metrics);
  null_non_finite(j);
  return nlohmann::json(j);
}

RunRecord run_from_json(const nlohmann::json& j) {
  try {
    return read_run(Node(j, ""));
  } catch (const FormatError& e) {
    throw std::runtime_error(std::string("malformed run: ") + e.what());
  }
}

Report from_json(const nlohmann::json& j) {
  try {
    return read_report_json(j);
  } catch (const FormatError& e) {
    throw std::runtime_error(std::string("malformed report: ") + e.what());
  }
}

void write_report(const Report& r, const std::string& path) {
  namespace fs = std::filesystem;
  const std::string text = to_json_text(r);
  const fs::path target(path);
  auto fail = [&](const std::string& what, int err) {
    throw std::runtime_error(fmt::format("{}: cannot write report: {}: {}", path, what, std::strerror(err)));
  };

  if (target.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) fail("creating " + target.parent_path().string(), ec.value());
  }
  // Write beside the target and rename over it, so a reader never sees half a report and an
  // interrupted run leaves the previous file intact.
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("opening " + tmp, errno);
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail("writing " + tmp, err);
    }
    off += static_cast<size_t>(n);
  }
  // close() even when fsync() failed: the descriptor must not leak with the file gone.
  const int sync_err = ::fsync(fd) != 0 ? errno : 0;
  const int close_err = ::close(fd) != 0 ? errno : 0;
  if (sync_err || close_err) {
    ::unlink(tmp.c_str());
    fail("flushing " + tmp, sync_err ? sync_err : close_err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("renaming " + tmp, err);
  }
  // The rename is durable only once the directory is: without this a crash right after a
  // "report written" could lose the report's name (and a journal removed after it, its runs).
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

Report read_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open report: {}", path, std::strerror(errno)));
  std::stringstream buf;
  buf << in.rdbuf();
  json j;
  try {
    j = json::parse(buf.str());
  } catch (const json::parse_error& e) {
    throw std::runtime_error(fmt::format("{}: not a JSON report: {}", path, without_json_prefix(e.what())));
  }
  try {
    return read_report_json(j);
  } catch (const FormatError& e) {
    throw std::runtime_error(fmt::format("{}: malformed report: {}", path, e.what()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace benchlab::reports
