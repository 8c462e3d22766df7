// Scenario parsing and validation. Everything is checked before the runner creates anything:
// unknown keys, wrong types, out-of-range values, unknown registry names, limits. Every error
// is one ScenarioError naming file, line, key and reason.
#include "benchlab/scenario.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string_view>

#include <toml++/toml.h>

#include "benchlab/core/error.hpp"
#include "benchlab/core/metrics.hpp"
#include "benchlab/sha256.hpp"

namespace benchlab {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;
// Ceilings a [limits] table may raise the defaults to, never beyond.
constexpr double kCeilDuration = 3600, kCeilWarmup = 600, kCeilTotal = 48 * 3600.0;
constexpr int64_t kCeilRepetitions = 1000, kCeilCells = 100000;

class Validator {
 public:
  Validator(std::string file, const Registries& reg) : file_(std::move(file)), reg_(reg) {}

  ScenarioSpec run(const toml::table& root);

 private:
  [[noreturn]] void fail(const toml::node* n, const std::string& key, const std::string& reason) const {
    std::string f = file_;
    int line = 0;
    // The root table's line says nothing (a missing key has no position).
    if (n && n != root_) {
      const auto& src = n->source();
      if (src.path && *src.path == "--set") f = "--set";   // one line of its own: no line number
      else line = int(src.begin.line);
    }
    throw ScenarioError(f, line, key, reason);
  }

  void check_keys(const toml::table& t, const std::string& prefix, const std::set<std::string>& allowed) const {
    for (auto&& [k, v] : t) {
      std::string key(k.str());
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(&v, prefix + key, "unknown key (expected one of: " + list + ")");
      }
    }
  }

  const toml::table* table(const toml::table& parent, const std::string& key, const std::string& path) const {
    const toml::node* n = parent.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(n, path, "must be a table, got " + type_name(*n));
    return n->as_table();
  }

  static std::string type_name(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::table: return "a table";
      case toml::node_type::array: return "an array";
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a float";
      case toml::node_type::boolean: return "a boolean";
      default: return "a date/time";
    }
  }

  std::string get_string(const toml::table& t, const std::string& key, const std::string& path,
                         const std::string& def, bool required = false) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(&t, path, "missing (required)");
      return def;
    }
    if (!n->is_string()) fail(n, path, "must be a string, got " + type_name(*n));
    return n->as_string()->get();
  }

  double get_number(const toml::table& t, const std::string& key, const std::string& path, double def,
                    double lo, double hi, bool lo_inclusive = true) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    double v;
    if (n->is_integer()) v = double(n->as_integer()->get());
    else if (n->is_floating_point()) v = n->as_floating_point()->get();
    else fail(n, path, "must be a number, got " + type_name(*n));
    if (!std::isfinite(v) || (lo_inclusive ? v < lo : v <= lo) || v > hi)
      fail(n, path, fmt_range(v, lo, hi, lo_inclusive));
    return v;
  }

  int64_t get_int(const toml::table& t, const std::string& key, const std::string& path, int64_t def,
                  int64_t lo, int64_t hi) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    return int_value(*n, path, lo, hi);
  }

  int64_t int_value(const toml::node& n, const std::string& path, int64_t lo, int64_t hi) const {
    if (!n.is_integer()) fail(&n, path, "must be an integer, got " + type_name(n));
    int64_t v = n.as_integer()->get();
    if (v < lo || v > hi)
      fail(&n, path, "out of range: " + std::to_string(v) + " (allowed " + std::to_string(lo) + ".." +
                         std::to_string(hi) + ")");
    return v;
  }

  static std::string fmt_range(double v, double lo, double hi, bool lo_incl) {
    std::ostringstream s;
    s << "out of range: " << v << " (allowed " << (lo_incl ? "" : ">") << lo << ".." << hi << ")";
    return s.str();
  }

  // An array of T, or a single T standing for a one-element array.
  std::vector<const toml::node*> list(const toml::table& t, const std::string& key, const std::string& path,
                                      size_t max_len) const {
    std::vector<const toml::node*> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (auto* a = n->as_array()) {
      if (a->empty()) fail(n, path, "must not be empty");
      if (a->size() > max_len) fail(n, path, "too many values (" + std::to_string(a->size()) + ", at most " +
                                                 std::to_string(max_len) + ")");
      for (const auto& e : *a) out.push_back(&e);
    } else {
      out.push_back(n);
    }
    return out;
  }

  std::vector<std::string> names(const toml::table& t, const std::string& key, const std::string& path,
                                 const std::vector<std::string>& known, const std::string& what) const {
    std::vector<std::string> out;
    for (const toml::node* e : list(t, key, path, 64)) {
      if (!e->is_string()) fail(e, path, "must be an array of strings, got " + type_name(*e));
      std::string s = e->as_string()->get();
      if (std::find(known.begin(), known.end(), s) == known.end()) {
        std::string k;
        for (const auto& x : known) k += (k.empty() ? "" : ", ") + x;
        fail(e, path, "unknown " + what + " '" + s + "' (known: " + k + ")");
      }
      if (std::find(out.begin(), out.end(), s) != out.end()) fail(e, path, "'" + s + "' is listed twice");
      out.push_back(s);
    }
    return out;
  }

  // Overlays a table of options onto the declared defaults, checking names, types and ranges.
  OptionValues options(const toml::table* t, const std::vector<OptionSpec>& specs, const std::string& path,
                       const std::set<std::string>& skip = {}) const {
    OptionValues v = OptionValues::defaults(specs);
    if (!t) return v;
    for (auto&& [k, node] : *t) {
      std::string key(k.str());
      if (skip.count(key)) continue;
      auto it = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == key; });
      std::string kp = path + "." + key;
      if (it == specs.end()) {
        std::string list;
        for (const auto& s : specs) list += (list.empty() ? "" : ", ") + s.name;
        for (const auto& s : skip) list += (list.empty() ? "" : ", ") + s;
        fail(&node, kp, "unknown option (expected one of: " + (list.empty() ? std::string("none") : list) + ")");
      }
      const OptionSpec& s = *it;
      switch (s.type) {
        case OptionType::boolean:
          if (!node.is_boolean()) fail(&node, kp, "must be a boolean, got " + type_name(node));
          v.set(key, node.as_boolean()->get());
          break;
        case OptionType::integer: {
          int64_t lo = s.min ? int64_t(*s.min) : INT64_MIN, hi = s.max ? int64_t(*s.max) : INT64_MAX;
          v.set(key, int_value(node, kp, lo, hi));
          break;
        }
        case OptionType::number: {
          double x;
          if (node.is_integer()) x = double(node.as_integer()->get());
          else if (node.is_floating_point()) x = node.as_floating_point()->get();
          else fail(&node, kp, "must be a number, got " + type_name(node));
          double lo = s.min.value_or(-HUGE_VAL), hi = s.max.value_or(HUGE_VAL);
          if (!std::isfinite(x) || x < lo || x > hi) fail(&node, kp, fmt_range(x, lo, hi, true));
          v.set(key, x);
          break;
        }
        case OptionType::string: {
          if (!node.is_string()) fail(&node, kp, "must be a string, got " + type_name(node));
          std::string x = node.as_string()->get();
          if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), x) == s.choices.end()) {
            std::string c;
            for (const auto& y : s.choices) c += (c.empty() ? "" : ", ") + y;
            fail(&node, kp, "'" + x + "' is not one of: " + c);
          }
          v.set(key, x);
          break;
        }
      }
    }
    return v;
  }

  // [gates]: each key a metric some row of the scenario carries (with a better direction) and a
  // limit signed in its bad direction, or one of the judging keys.
  void gates(const toml::table& root, ScenarioSpec& s) const {
    const toml::table* gt = table(root, "gates", "gates");
    if (!gt) return;
    s.gates.present = true;
    std::map<std::string, MetricSpec> known;
    for (const MetricSpec& m : common_metrics()) known[m.name] = m;
    for (const auto& w : s.workloads)
      for (const MetricSpec& m : reg_.workloads.find(w)->metrics) known[m.name] = m;
    for (const auto& d : s.datapaths)
      for (const MetricSpec& m : reg_.datapaths.find(d)->metrics) known[m.name] = m;
    for (auto&& [k, node] : *gt) {
      const std::string key(k.str()), path = "gates." + key;
      if (key == "alpha") {
        s.gates.alpha = get_number(*gt, key, path, s.gates.alpha, 0, 0.5, false);
        continue;
      }
      if (key == "correction" || key == "compare") {
        const std::string v = get_string(*gt, key, path, "");
        const std::vector<std::string> ok = key == "correction" ? std::vector<std::string>{"holm", "bh", "none"}
                                                                 : std::vector<std::string>{"ratio", "absolute"};
        if (std::find(ok.begin(), ok.end(), v) == ok.end())
          fail(&node, path, "'" + v + "' is not one of: " + (key == "correction" ? "holm, bh, none" : "ratio, absolute"));
        (key == "correction" ? s.gates.correction : s.gates.compare) = v;
        continue;
      }
      auto it = known.find(key);
      if (it == known.end()) {
        std::string names;
        for (const auto& [n, m] : known)
          if (m.direction != Direction::neither) names += (names.empty() ? "" : ", ") + n;
        fail(&node, path, "unknown key: not alpha, correction, compare or a metric of this scenario's rows (" + names + ")");
      }
      const MetricSpec& m = it->second;
      if (m.direction == Direction::neither) fail(&node, path, "metric " + key + " has no better direction, so nothing regresses");
      if (!node.is_string()) fail(&node, path, "must be a string like \"-5%\", got " + type_name(node));
      const std::string text = node.as_string()->get();
      double pct = 0;
      size_t used = 0;
      const bool signed_ = !text.empty() && (text[0] == '+' || text[0] == '-');
      try {
        pct = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used < text.size() && text.substr(used) == "%") ++used;
      if (!signed_ || used != text.size() || !std::isfinite(pct) || pct == 0 || std::abs(pct) > 1000)
        fail(&node, path, "'" + text + "' is not a signed percentage like \"-5%\" or \"+10%\" (0 < |limit| <= 1000)");
      const bool higher = m.direction == Direction::higher_is_better;
      if (higher != (pct < 0))
        fail(&node, path,
             key + " is better when " + (higher ? "higher" : "lower") + ", so a regression is a " + (higher ? "fall" : "rise") +
                 ": write \"" + (higher ? "-" : "+") + text.substr(1) + "\"");
      s.gates.limits_pct[key] = pct;
    }
  }

  std::string file_;
  const Registries& reg_;
  const toml::node* root_ = nullptr;
};

ScenarioSpec Validator::run(const toml::table& root) {
  ScenarioSpec s;
  s.file = file_;
  root_ = &root;
  check_keys(root, "", {"schema_version", "name", "description", "duration_s", "warmup_s", "repetitions",
                        "datapaths", "workloads", "topology", "matrix", "datapath", "workload", "limits",
                        "noise_limit_pct", "gates"});

  if (const toml::node* n = root.get("schema_version")) {
    int64_t v = int_value(*n, "schema_version", 1, INT64_MAX);
    if (v > kScenarioSchemaVersion)
      fail(n, "schema_version", "version " + std::to_string(v) + " is newer than this benchlab understands (" +
                                    std::to_string(kScenarioSchemaVersion) + ")");
  }

  s.name = get_string(root, "name", "name", "", true);
  if (s.name.empty() || s.name.size() > 64 ||
      !std::all_of(s.name.begin(), s.name.end(), [](char c) { return std::isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.'; }))
    fail(root.get("name"), "name", "must be 1-64 characters of [A-Za-z0-9._-] (it names the report file)");
  s.description = get_string(root, "description", "description", "");

  // Limits first: they bound everything else.
  if (const toml::table* lt = table(root, "limits", "limits")) {
    check_keys(*lt, "limits.", {"max_duration_s", "max_warmup_s", "max_repetitions", "max_cells", "max_total_s"});
    s.limits.max_duration_s = get_number(*lt, "max_duration_s", "limits.max_duration_s", s.limits.max_duration_s, 0, kCeilDuration, false);
    s.limits.max_warmup_s = get_number(*lt, "max_warmup_s", "limits.max_warmup_s", s.limits.max_warmup_s, 0, kCeilWarmup);
    s.limits.max_repetitions = int(get_int(*lt, "max_repetitions", "limits.max_repetitions", s.limits.max_repetitions, 1, kCeilRepetitions));
    s.limits.max_cells = int(get_int(*lt, "max_cells", "limits.max_cells", s.limits.max_cells, 1, kCeilCells));
    s.limits.max_total_s = get_number(*lt, "max_total_s", "limits.max_total_s", s.limits.max_total_s, 0, kCeilTotal, false);
  }
  const Limits& L = s.limits;
  s.duration_s = get_number(root, "duration_s", "duration_s", s.duration_s, 0.1, L.max_duration_s);
  s.warmup_s = get_number(root, "warmup_s", "warmup_s", s.warmup_s, 0, L.max_warmup_s);
  s.repetitions = int(get_int(root, "repetitions", "repetitions", std::min(s.repetitions, L.max_repetitions), 1, L.max_repetitions));
  s.noise_limit_pct = get_number(root, "noise_limit_pct", "noise_limit_pct", s.noise_limit_pct, 0, 1000, false);

  // Topology: `kind` picks the registry entry; every other key is one of its options.
  const toml::table* tt = table(root, "topology", "topology");
  if (tt) s.topology = get_string(*tt, "kind", "topology.kind", s.topology);
  const auto* topo = reg_.topologies.find(s.topology);
  if (!topo) {
    std::string k;
    for (const auto& x : reg_.topologies.names()) k += (k.empty() ? "" : ", ") + x;
    fail(tt ? tt->get("kind") : &root, "topology.kind", "unknown topology '" + s.topology + "' (known: " + k + ")");
  }
  s.topology_options = options(tt, topo->options, "topology", {"kind"});
  if (s.topology_options.has("family"))
    s.family = s.topology_options.get_string("family") == "ipv6" ? Family::ipv6 : Family::ipv4;

  s.workloads = names(root, "workloads", "workloads", reg_.workloads.names(), "workload");
  if (s.workloads.empty()) fail(&root, "workloads", "missing (required): list at least one workload");
  const std::vector<std::string> listed = names(root, "datapaths", "datapaths", reg_.datapaths.names(), "datapath");

  // Traffic kinds: each workload makes one; the baseline of each kind is measured, first, as the
  // reference of every ratio in that kind's cells.
  for (const auto& w : s.workloads) {
    const TrafficKind k = kind_of(*reg_.workloads.find(w));
    s.workload_kind[w] = k;
    if (s.baselines.count(k)) continue;
    const auto* b = baseline_of(reg_.datapaths, k);
    if (!b) fail(root.get("workloads"), "workloads", "no datapath is the baseline of '" + k + "' traffic (workload '" + w + "')");
    s.baselines[k] = b->name;
  }
  for (const auto& [k, b] : s.baselines)
    if (std::find(s.datapaths.begin(), s.datapaths.end(), b) == s.datapaths.end()) s.datapaths.push_back(b);
  for (const auto& d : listed)
    if (std::find(s.datapaths.begin(), s.datapaths.end(), d) == s.datapaths.end()) s.datapaths.push_back(d);
  for (const auto& d : s.datapaths) {
    const auto* de = reg_.datapaths.find(d);
    s.datapath_kinds[d] = de->traffic;
    std::string carries;
    for (const auto& k : de->traffic) carries += (carries.empty() ? "" : ", ") + k;
    if (carries.empty()) carries = "nothing";
    bool any = false;
    for (const auto& w : s.workloads) {
      if (traffic_compatible(*de, *reg_.workloads.find(w))) {
        any = true;
        continue;
      }
      s.not_run.push_back({d, w, "carries " + carries + ", not " + s.workload_kind[w] + " traffic"});
    }
    if (!any) {
      std::string ws;
      for (const auto& w : s.workloads) ws += (ws.empty() ? "'" : ", '") + w + "' (" + s.workload_kind[w] + ")";
      fail(root.get("datapaths"), "datapaths",
           "datapath '" + d + "' carries none of the scenario's traffic: it carries " + carries + "; workloads " + ws);
    }
  }

  // Per-entry option tables: [datapath.NAME] and [workload.NAME], only for entries in use.
  if (const toml::table* dt = table(root, "datapath", "datapath")) {
    for (auto&& [k, node] : *dt) {
      std::string name(k.str());
      if (std::find(s.datapaths.begin(), s.datapaths.end(), name) == s.datapaths.end())
        fail(&node, "datapath." + name, "options for a datapath the scenario does not list in `datapaths`");
      if (!node.is_table()) fail(&node, "datapath." + name, "must be a table, got " + type_name(node));
    }
  }
  for (const auto& d : s.datapaths) {
    const toml::table* t = nullptr;
    if (const toml::table* dt = root["datapath"].as_table()) t = table(*dt, d, "datapath." + d);
    s.datapath_options[d] = options(t, reg_.datapaths.find(d)->options, "datapath." + d);
  }
  if (const toml::table* wt = table(root, "workload", "workload")) {
    for (auto&& [k, node] : *wt) {
      std::string name(k.str());
      if (std::find(s.workloads.begin(), s.workloads.end(), name) == s.workloads.end())
        fail(&node, "workload." + name, "options for a workload the scenario does not list in `workloads`");
      if (!node.is_table()) fail(&node, "workload." + name, "must be a table, got " + type_name(node));
    }
  }
  for (const auto& w : s.workloads) {
    const toml::table* t = nullptr;
    if (const toml::table* wt = root["workload"].as_table()) t = table(*wt, w, "workload." + w);
    s.workload_options[w] = options(t, reg_.workloads.find(w)->options, "workload." + w);
  }

  // Matrix: every key is an axis declared by one of the scenario's workloads, datapaths or its
  // topology, and its values are checked against every declaration of that axis.
  for (const auto& w : s.workloads) s.workload_axes[w] = reg_.workloads.find(w)->axes;
  for (const auto& d : s.datapaths) s.datapath_axes[d] = reg_.datapaths.find(d)->axes;
  s.topology_axes = topo->axes;
  std::map<std::string, std::vector<const AxisSpec*>> declared;   // axis -> its declarations
  std::vector<std::string> axis_order;
  auto declare = [&](const std::vector<AxisSpec>& axes) {
    for (const AxisSpec& a : axes) {
      if (!declared.count(a.name)) axis_order.push_back(a.name);
      declared[a.name].push_back(&a);
    }
  };
  for (const auto& w : s.workloads) declare(s.workload_axes[w]);
  declare(s.topology_axes);
  for (const auto& d : s.datapaths) declare(s.datapath_axes[d]);

  const toml::table* mt = table(root, "matrix", "matrix");
  static const toml::table empty;
  const toml::table& m = mt ? *mt : empty;
  for (auto&& [k, node] : m) {
    const std::string key(k.str());
    if (declared.count(key)) continue;
    std::string known;
    for (const auto& a : axis_order) known += (known.empty() ? "" : ", ") + a;
    fail(&node, "matrix." + key,
         "unknown key (expected one of: " + (known.empty() ? std::string("none") : known) +
             " — the axes this scenario's workloads, datapaths and topology declare)");
  }
  for (const auto& axis : axis_order) {
    const std::string path = "matrix." + axis;
    std::vector<OptionValue>& values = s.matrix[axis];
    if (!m.get(axis)) {
      values.push_back(declared[axis].front()->default_value);
      continue;
    }
    s.matrix_keys.push_back(axis);
    size_t max_values = SIZE_MAX;
    for (const AxisSpec* a : declared[axis]) max_values = std::min(max_values, a->max_values);
    for (const toml::node* e : list(m, axis, path, max_values)) {
      OptionValue v;
      std::string shown;
      for (const AxisSpec* a : declared[axis]) {
        if (a->type == OptionType::integer) {
          int64_t lo = a->min ? int64_t(*a->min) : INT64_MIN, hi = a->max ? int64_t(*a->max) : INT64_MAX;
          v = int_value(*e, path, lo, hi);
          shown = std::to_string(std::get<int64_t>(v));
        } else {
          if (!e->is_string()) fail(e, path, "must be a string, got " + type_name(*e));
          const std::string x = e->as_string()->get();
          if (!a->choices.empty() && std::find(a->choices.begin(), a->choices.end(), x) == a->choices.end()) {
            std::string c;
            for (const auto& y : a->choices) c += (c.empty() ? "" : ", ") + y;
            fail(e, path, "'" + x + "' is not one of: " + c);
          }
          v = x;
          shown = "'" + x + "'";
        }
      }
      // A value listed twice would run the same cells twice and skew the summary.
      if (std::find(values.begin(), values.end(), v) != values.end()) fail(e, path, shown + " is listed twice");
      values.push_back(v);
    }
  }

  gates(root, s);

  size_t ncells = s.cells().size();
  if (ncells > size_t(L.max_cells))
    fail(mt ? static_cast<const toml::node*>(mt) : &root, "matrix",
         std::to_string(ncells) + " cells exceed limits.max_cells = " + std::to_string(L.max_cells));
  double est = s.estimated_seconds();
  if (est > L.max_total_s)
    fail(&root, "limits.max_total_s",
         "estimated run time " + std::to_string(int64_t(est)) + " s exceeds " + std::to_string(int64_t(L.max_total_s)) +
             " s (raise limits.max_total_s to allow it)");
  return s;
}

// Deep-merges `src` into `dst`: tables merge, anything else replaces. Nodes are moved, not
// copied: toml++ drops the source region on copy, and errors must name --set.
void merge_into(toml::table& dst, toml::table&& src) {
  for (auto&& [k, v] : src) {
    if (v.is_table() && dst.get(k) && dst.get(k)->is_table()) {
      merge_into(*dst.get(k)->as_table(), std::move(*v.as_table()));
    } else if (auto* t = v.as_table()) {
      dst.insert_or_assign(k, std::move(*t));
    } else if (auto* a = v.as_array()) {
      dst.insert_or_assign(k, std::move(*a));
    } else {
      const toml::key& key = k;   // clang 14 cannot capture a structured binding
      v.visit([&](auto&& x) { dst.insert_or_assign(key, std::move(x)); });
    }
  }
}

// A lexical pass before toml++ for inputs that crash it or reach undefined behaviour in it
// (toml++ 3.3.0, Debian 12), each reported as one ScenarioError line:
// - toml++ recurses once per level of table nesting when it builds and frees a document, so a
//   dotted key of ~60000 segments ([a.a.a...], 120 KB) overflows the stack. Scenarios nest three
//   levels; a dotted key (header or assignment) of more than kMaxKeySegments segments is refused.
// - its whitespace test reaches TOML_UNREACHABLE for most non-ASCII code points
//   (marzer/tomlplusplus#190, #295; found by harness/fuzz): it runs on every character of a bare
//   key or value token, wherever whitespace may appear outside strings, and after a line-ending
//   backslash in a """ string. Non-ASCII outside strings and comments is invalid TOML anyway and
//   is refused; so is non-ASCII after a line-ending backslash, or right after any backslash in a
//   basic string (an invalid escape).
// toml++ stops at the first error, so this pass only has to agree with it about where strings
// start up to that point. A quote starts a string only where toml++ would read one: where a key
// may start (line start, '[', '.', '{', ',' in an inline table) or where a value may start
// ('=', '[' or ',' in an array, a new line in an array). Anything else at a value's start begins
// a bare token that toml++ reads up to a terminator (whitespace, ',', ']', '}', '#'), quotes and
// brackets included (1x."é", 3klo["é"]); non-ASCII in it is refused before toml++ scans it.
constexpr int kMaxKeySegments = 32;
struct LexicalProblem {
  int line = 0;   // 0: none
  std::string reason;
};
LexicalProblem lexical_problem(std::string_view text) {
  // What the position expects, per level of nesting: the document, a table header ('h'), an
  // array ('[', values) or an inline table ('{', keys, then a value after '=').
  struct Level {
    char kind;
    bool value;   // after '=' (or in an array): a value may start here, not a key
  };
  std::vector<Level> levels{{'\0', false}};
  int line = 1, dots = 0;
  char prev = '\n';       // the last non-blank character outside strings
  bool token = false;     // inside a bare value token (a number, date, boolean, or junk)
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    const char before = prev;
    Level& top = levels.back();
    if (c != ' ' && c != '\t') prev = c;
    // toml++ reads a bare value up to a terminator, whatever is in it ('[' and quotes too): all
    // of it is one token, and non-ASCII in it is what reaches its undefined whitespace test.
    if (token && std::string_view(" \t\r\n,]}#").find(c) == std::string_view::npos) {
      if ((unsigned char)c >= 0x80) return {line, "non-ASCII character outside a string or comment"};
      continue;
    }
    token = false;
    const bool value_start = top.value && std::string_view("=[,\n").find(before) != std::string_view::npos;
    if (value_start && std::string_view(" \t\r\n\"'[{#,]}").find(c) == std::string_view::npos) {
      token = true;
      if ((unsigned char)c >= 0x80) return {line, "non-ASCII character outside a string or comment"};
      continue;
    }
    if (c == '\n') {
      ++line;
      dots = 0;
      if (levels.size() == 1) top.value = false;   // the next line starts with a key
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if ((c == '"' || c == '\'') &&
               (top.value ? value_start : std::string_view("\n[.{,").find(before) != std::string_view::npos)) {
      // A string (a quoted key segment or a value) is skipped whole; it may span lines.
      const bool multi = text.compare(i, 3, std::string(3, c)) == 0;
      const std::string_view quote = text.substr(i, multi ? 3 : 1);
      size_t j = i + quote.size();
      while (j < text.size() && text.compare(j, quote.size(), quote) != 0) {
        if (c == '"' && text[j] == '\\' && j + 1 < text.size()) {
          ++j;   // an escaped character
          // toml++ 3.3 tests the escaped character with the same whitespace function (UB on
          // non-ASCII); a backslash before non-ASCII is an invalid escape in TOML anyway.
          if ((unsigned char)text[j] >= 0x80)
            return {line, "invalid escape: a backslash before a non-ASCII character"};
          if (multi && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\n')) {
            size_t k = j;   // a line-ending backslash: toml++ skips the whitespace after it
            while (k < text.size() && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r' || text[k] == '\n')) {
              if (text[k] == '\n') ++line;
              ++k;
            }
            if (k < text.size() && (unsigned char)text[k] >= 0x80)
              return {line, "non-ASCII character right after a line-ending backslash (not supported)"};
            j = k;
            continue;
          }
        }
        if (text[j] == '\n') {
          ++line;
          if (!multi) break;   // unterminated; toml++ reports it
        }
        ++j;
      }
      if (j < text.size() && text[j] == c) {
        j += quote.size();
        for (int extra = 0; multi && extra < 2 && j < text.size() && text[j] == c; ++extra) ++j;   // """a""""
        --j;
      }
      i = j;
    } else if ((unsigned char)c >= 0x80) {
      return {line, "non-ASCII character outside a string or comment"};
    } else if (c == '.') {
      if (++dots >= kMaxKeySegments)
        return {line, "dotted key nested deeper than " + std::to_string(kMaxKeySegments) + " levels"};
    } else {
      if (!std::isalnum((unsigned char)c) && c != '_' && c != '-' && c != ' ' && c != '\t')
        dots = 0;   // '=', brackets, braces, commas: a new key starts after them
      if (c == '=') {
        top.value = true;
      } else if (c == '[' && (value_start || !top.value)) {
        levels.push_back({top.value ? '[' : 'h', top.value});
      } else if (c == '{' && (value_start || !top.value)) {
        levels.push_back({'{', false});
      } else if ((c == ']' || c == '}') && levels.size() > 1) {
        levels.pop_back();
      } else if (c == ',' && top.kind == '{') {
        top.value = false;   // the next key of an inline table
      }
    }
  }
  return {};
}

// Offset of the first byte that does not start or continue a valid UTF-8 sequence (overlong
// forms, surrogates and code points past U+10FFFF included), or npos. toml++ reports a bad
// sequence at the start of a line on the line before; this check names the right one.
size_t invalid_utf8(std::string_view t) {
  for (size_t i = 0; i < t.size();) {
    unsigned char c = t[i];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > t.size()) return i;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = t[i + k];
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n;
  }
  return std::string_view::npos;
}

void check_lexical(std::string_view text, const std::string& name, const std::string& key) {
  if (LexicalProblem p = lexical_problem(text); p.line)
    throw ScenarioError(name, name == "--set" ? 0 : p.line, key, p.reason);
}

void apply_override(toml::table& root, const std::string& ov) {
  auto eq = ov.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ScenarioError("--set", 0, ov, "expected key=value (e.g. duration_s=2 or matrix.message_size=[64,1024])");
  std::string key = ov.substr(0, eq), value = ov.substr(eq + 1);
  const std::string shown_key = key.size() > 40 ? key.substr(0, 40) + "..." : key;
  // The exact text toml++ gets passes the lexical check first (see lexical_problem).
  auto parse = [&](const std::string& text) {
    check_lexical(text, "--set", shown_key);
    return toml::parse(std::string_view(text), std::string_view("--set"));
  };
  if (size_t bad = invalid_utf8(ov); bad != std::string_view::npos)
    throw ScenarioError("--set", 0, shown_key, "not valid UTF-8 (byte " + std::to_string(bad) + ")");
  toml::table t;
  bool parsed = false;
  try {
    t = parse(key + " = " + value);
    parsed = true;
  } catch (const toml::parse_error&) {
  } catch (const ScenarioError&) {   // e.g. non-ASCII in a bare word: quoted below
  }
  if (!parsed) {
    // A bare word stands for a string: --set topology.kind=veth
    std::string quoted = "\"";
    for (char c : value) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    try {
      t = parse(key + " = " + quoted);
    } catch (const toml::parse_error& e) {
      throw ScenarioError("--set", 0, key, std::string("not a valid key=value: ") + std::string(e.description()));
    }
  }
  merge_into(root, std::move(t));
}

}  // namespace

namespace {

// Every combination of the axes' values, the first axis outermost.
template <class Fn>
void each_combination(const std::vector<const AxisSpec*>& axes, const std::map<std::string, std::vector<OptionValue>>& matrix,
                      Fn&& fn) {
  std::vector<std::pair<const AxisSpec*, OptionValue>> current;
  std::function<void(size_t)> rec = [&](size_t i) {
    if (i == axes.size()) return fn(current);
    for (const OptionValue& v : matrix.at(axes[i]->name)) {
      current.emplace_back(axes[i], v);
      rec(i + 1);
      current.pop_back();
    }
  };
  rec(0);
}

}  // namespace

std::vector<Cell> ScenarioSpec::cells() const {
  std::vector<Cell> out;
  for (const auto& w : workloads) {
    std::vector<const AxisSpec*> axes;
    for (const AxisSpec& a : workload_axes.at(w)) axes.push_back(&a);
    for (const AxisSpec& a : topology_axes)
      if (std::none_of(axes.begin(), axes.end(), [&](const AxisSpec* x) { return x->name == a.name; })) axes.push_back(&a);
    each_combination(axes, matrix, [&](const auto& values) { out.emplace_back(w, values); });
  }
  return out;
}

std::vector<DatapathVariant> ScenarioSpec::variants(const std::string& datapath) const {
  std::vector<DatapathVariant> out;
  std::vector<const AxisSpec*> axes;
  for (const AxisSpec& a : datapath_axes.at(datapath)) axes.push_back(&a);
  each_combination(axes, matrix, [&](const auto& values) {
    DatapathVariant v{datapath, {}, datapath};
    std::string pieces;
    for (const auto& [spec, value] : values) {
      v.axes.set(spec->name, value);
      pieces += (pieces.empty() ? "" : ",") + axis_label(*spec, value);
    }
    if (!pieces.empty()) v.label += "[" + pieces + "]";
    out.push_back(std::move(v));
  });
  return out;
}

bool ScenarioSpec::runs_in(const std::string& datapath, const std::string& workload) const {
  const auto& kinds = datapath_kinds.at(datapath);
  return std::find(kinds.begin(), kinds.end(), workload_kind.at(workload)) != kinds.end();
}

const std::string& ScenarioSpec::baseline_for(const std::string& workload) const {
  return baselines.at(workload_kind.at(workload));
}

size_t ScenarioSpec::run_count() const {
  size_t n = 0;
  for (const Cell& c : cells())
    for (const auto& d : datapaths)
      if (runs_in(d, c.workload())) n += variants(d).size();
  return n * size_t(repetitions);
}

double ScenarioSpec::estimated_seconds() const {
  // Per run: warm-up + window + the topology, attach and process start-up (measured at about
  // 0.2 s on a 2-core VM; 0.3 leaves room).
  return double(run_count()) * (warmup_s + duration_s + 0.3);
}

ScenarioSpec parse_scenario(const std::string& text, const std::string& name, const Registries& reg,
                            const std::vector<std::string>& overrides) {
  if (text.size() > kMaxFileBytes)
    throw ScenarioError(name, 0, "", "file is larger than 1 MiB; not a scenario");
  if (text.find('\0') != std::string::npos) throw ScenarioError(name, 0, "", "contains NUL bytes; not a TOML text file");
  if (size_t bad = invalid_utf8(text); bad != std::string_view::npos)
    throw ScenarioError(name, int(1 + std::count(text.begin(), text.begin() + bad, '\n')), "",
                        "not valid UTF-8 (byte " + std::to_string(bad) + ")");
  check_lexical(text, name, "");
  toml::table root;
  try {
    root = toml::parse(std::string_view(text), std::string_view(name));
  } catch (const toml::parse_error& e) {
    throw ScenarioError(name, int(e.source().begin.line), "", "TOML syntax: " + std::string(e.description()));
  }
  for (const auto& ov : overrides) apply_override(root, ov);
  Validator v(name, reg);
  ScenarioSpec s = v.run(root);
  s.sha256 = sha256_hex(text);
  return s;
}

ScenarioSpec load_scenario(const std::string& path, const Registries& reg, const std::vector<std::string>& overrides) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw ScenarioError(path, 0, "", std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw ScenarioError(path, 0, "", "is a directory, not a scenario file");
  if (!S_ISREG(st.st_mode)) throw ScenarioError(path, 0, "", "is not a regular file");
  if (size_t(st.st_size) > kMaxFileBytes) throw ScenarioError(path, 0, "", "file is larger than 1 MiB; not a scenario");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path, 0, "", std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_scenario(ss.str(), path, reg, overrides);
}

}  // namespace benchlab
