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
  return {{"label", c.label()},
          {"workload", c.workload},
          {"message_size_bytes", c.message_size},
          {"flows", c.flows},
          {"cpu_placement", to_string(c.placement)}};
}

ojson samples_json(const std::vector<IntervalSample>& samples) {
  ojson a = ojson::array();
  for (const auto& s : samples)
    a.push_back({{"start_s", s.start_s},
                 {"duration_s", s.duration_s},
                 {"bytes", s.bytes},
                 {"messages", s.messages},
                 {"transactions", s.transactions},
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

ojson run_json(const RunRecord& r) {
  ojson counters = ojson::object();
  for (const auto& [k, v] : r.counters_delta) counters[k] = v;
  ojson derived = ojson::object();
  const DerivedRun d = derive(r);
  for (const auto& f : derived_fields()) derived[f.name] = d.*f.member;
  return {{"cell", cell_json(r.cell)},
          {"datapath", r.datapath},
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
          {"engagement",
           {{"checked", r.engagement.checked},
            {"ok", r.engagement.ok},
            {"carried_share", r.engagement.carried_share},
            {"message", r.engagement.message}}},
          {"derived", derived}};
}

ojson scenario_json(const ScenarioInfo& s) {
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
          {"overrides", s.overrides}};
}

ojson summary_json(const Report& r) {
  ojson rows = ojson::array();
  for (const auto& row : r.summary) {
    ojson metrics = ojson::object();
    // Schema order, not alphabetical: the table reads like the DerivedRun it summarises.
    for (const auto& f : derived_fields()) {
      auto it = row.metrics.find(f.name);
      if (it == row.metrics.end()) continue;
      const MetricSummary& m = it->second;
      metrics[f.name] = {{"n", m.n},     {"median", m.median}, {"q1", m.q1},
                         {"q3", m.q3},   {"iqr", m.iqr},       {"min", m.min},
                         {"max", m.max}, {"ratio_to_baseline", m.ratio_to_baseline}};
    }
    rows.push_back({{"cell_label", row.cell_label},
                    {"cell", cell_json(row.cell)},
                    {"datapath", row.datapath},
                    {"ok_runs", row.ok_runs},
                    {"failed_runs", row.failed_runs},
                    {"skipped_runs", row.skipped_runs},
                    {"metrics", metrics}});
  }
  return {{"baseline_datapath", r.summary_baseline}, {"rows", rows}};
}

ojson report_json(const Report& r) {
  ojson runs = ojson::array();
  for (const auto& run : r.runs) runs.push_back(run_json(run));
  ojson j = {{"schema_version", r.schema_version},
             {"benchlab_version", r.benchlab_version},
             {"git_revision", r.git_revision},
             {"created_utc", r.created_utc},
             {"wall_s", r.wall_s},
             {"context", ojson(r.context)},
             {"scenario", scenario_json(r.scenario)},
             {"runs", runs},
             {"summary", summary_json(r)}};
  null_non_finite(j);
  return j;
}

// Pretty printing for people and diffs: objects open one key per line, but a flat record
// (scalars only, at most kInlineKeys keys) and an array of scalars or of flat arrays stay on one
// line, so a sample, a metric summary or a per-CPU column reads as one row.
constexpr size_t kInlineKeys = 8;

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

Cell read_cell(const Node& n) {
  Cell c;
  c.workload = n["workload"].str();
  c.message_size = n["message_size_bytes"].u32();
  c.flows = n["flows"].u32();
  const Node p = n["cpu_placement"];
  if (!parse_cpu_placement(p.str(), &c.placement))
    p.fail(fmt::format("unknown CPU placement \"{}\" (expected same-core or cross-core)", p.str()));
  return c;   // "label" is derived from the fields above and not read back
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
  return s;
}

// Brings an older report up to kReportSchemaVersion in place, one version step at a time.
// Version 1 is the first; add a case here (and a checked-in file under tests/data) whenever
// the layout changes.
void upgrade(json& /*j*/, int from) {
  switch (from) {
    case kReportSchemaVersion: return;
    default: break;
  }
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
  for (const Node& run : n["runs"].array()) r.runs.push_back(read_run(run));

  // The summary is recomputed, with the baseline the writer used.
  std::string baseline = "kernel";
  if (n.has("summary") && n["summary"].has("baseline_datapath")) baseline = n["summary"]["baseline_datapath"].str();
  summarize(r, baseline);
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

nlohmann::json run_to_json(const RunRecord& r) {
  ojson j = run_json(r);
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
