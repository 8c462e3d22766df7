#include "benchlab/reports/export.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "benchlab/core/stats.hpp"

namespace benchlab::reports {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Every axis name of the report's cells, in first-seen order.
std::vector<std::string> axis_names(const Report& r) {
  std::vector<std::string> names;
  for (const RunRecord& run : r.runs)
    for (const AxisValue& a : run.cell.axes())
      if (std::find(names.begin(), names.end(), a.name) == names.end()) names.push_back(a.name);
  return names;
}

std::string number(double v) {
  if (!std::isfinite(v)) return "";
  return fmt::format("{}", v);   // shortest form that reads back to the same double
}

// How a metric becomes a time for google/benchmark: its name, unit and value, or nothing.
struct TimeMetric {
  std::string name, time_unit;
  double value;
};

std::optional<TimeMetric> as_time(const MetricSpec& m, double v) {
  static const std::map<std::string, std::string> kTimeUnits = {{"s", "s"}, {"ms", "ms"}, {"µs", "us"}, {"us", "us"},
                                                                {"ns", "ns"}};
  if (m.direction == Direction::lower_is_better && kTimeUnits.count(m.unit))
    return TimeMetric{m.name, kTimeUnits.at(m.unit), v};
  if (m.derivation == Derivation::rate && m.unit == "1/s" && m.direction == Direction::higher_is_better &&
      !m.source.empty()) {
    if (!(v > 0)) return std::nullopt;   // nothing done: no time per unit
    std::string unit = m.source;
    if (unit.size() > 1 && unit.back() == 's') unit.pop_back();   // transactions -> transaction
    return TimeMetric{"ns_per_" + unit, "ns", 1e9 / v};
  }
  return std::nullopt;
}

}  // namespace

size_t csv_rows(const Report& r) {
  size_t n = 1;
  for (const RunRecord& run : r.runs) n += metrics_of(r.metrics, run.cell.workload(), run.datapath).size();
  return n;
}

std::string to_csv(const Report& r) {
  const std::vector<std::string> axes = axis_names(r);
  std::string out = "cell,workload";
  for (const auto& a : axes) out += "," + csv_field(a);
  out += ",datapath,variant,repetition,status,metric,unit,value\n";
  for (const RunRecord& run : r.runs) {
    std::string head = csv_field(run.cell.label()) + "," + csv_field(run.cell.workload());
    for (const auto& a : axes) {
      const OptionValue* v = run.cell.find(a);
      head += "," + (v ? csv_field(benchlab::to_string(*v)) : std::string());
    }
    head += fmt::format(",{},{},{},{}", csv_field(run.datapath), csv_field(run.variant), run.repetition,
                        to_string(run.status));
    const auto specs = metrics_of(r.metrics, run.cell.workload(), run.datapath);
    const auto values = derive(r.metrics, run);
    for (size_t i = 0; i < specs.size(); ++i) {
      const std::string value = run.status == RunStatus::skipped ? "" : number(values[i].second);
      out += fmt::format("{},{},{},{}\n", head, csv_field(specs[i].name), csv_field(specs[i].unit), value);
    }
  }
  return out;
}

nlohmann::json to_gbench_json(const Report& r) {
  nlohmann::json ctx;
  ctx["date"] = r.created_utc;
  ctx["host_name"] = r.context.value("hostname", "");
  ctx["executable"] = "benchlab run " + r.scenario.file;
  const auto& cpu = r.context.contains("cpu") ? r.context["cpu"] : nlohmann::json::object();
  ctx["num_cpus"] = cpu.value("online", 0);
  ctx["mhz_per_cpu"] = 0;
  ctx["cpu_scaling_enabled"] = cpu.value("governor", std::string()) != "" && cpu.value("governor", "") != "performance";
  ctx["caches"] = nlohmann::json::array();
  ctx["load_avg"] = nlohmann::json::array();
  ctx["library_build_type"] = "release";
  ctx["benchlab_version"] = r.benchlab_version;
  ctx["benchlab_git_revision"] = r.git_revision;
  ctx["benchlab_scenario"] = r.scenario.name;

  // Benchmarks in the order of their first run; each with its ok repetitions.
  struct Bench {
    std::string time_unit;
    std::vector<double> values;
    std::vector<double> iterations;
  };
  std::vector<std::string> order;
  std::map<std::string, Bench> benches;
  for (const RunRecord& run : r.runs) {
    if (run.status != RunStatus::ok) continue;   // no valid time: the report says why
    const auto specs = metrics_of(r.metrics, run.cell.workload(), run.datapath);
    const auto values = derive(r.metrics, run);
    double units = 0;
    for (const auto& s : run.result.samples)
      if (!s.warmup && !s.cooldown) units += double(s.transactions ? s.transactions : s.packets ? s.packets : s.messages);
    for (size_t i = 0; i < specs.size(); ++i) {
      auto t = as_time(specs[i], values[i].second);
      if (!t) continue;
      const std::string name = run.cell.label() + "/" + run.variant + "/" + t->name;
      auto [it, fresh] = benches.try_emplace(name, Bench{t->time_unit, {}, {}});
      if (fresh) order.push_back(name);
      it->second.values.push_back(t->value);
      it->second.iterations.push_back(std::max(1.0, units));
    }
  }
  nlohmann::json list = nlohmann::json::array();
  for (size_t fi = 0; fi < order.size(); ++fi) {
    const Bench& b = benches.at(order[fi]);
    auto entry = [&](const std::string& name, const char* type, double v, double iters) {
      nlohmann::json e;
      e["name"] = name;
      e["family_index"] = fi;
      e["per_family_instance_index"] = 0;
      e["run_name"] = order[fi];
      e["run_type"] = type;
      e["repetitions"] = b.values.size();
      e["threads"] = 1;
      e["iterations"] = uint64_t(iters);
      e["real_time"] = v;
      e["cpu_time"] = v;   // one figure per run: benchlab's times are not split into wall and CPU
      e["time_unit"] = b.time_unit;
      return e;
    };
    for (size_t i = 0; i < b.values.size(); ++i) {
      nlohmann::json e = entry(order[fi], "iteration", b.values[i], b.iterations[i]);
      e["repetition_index"] = i;
      list.push_back(std::move(e));
    }
    nlohmann::json agg = entry(order[fi] + "_median", "aggregate", stats::quantile(b.values, 0.5), b.iterations[0]);
    agg["aggregate_name"] = "median";
    agg["aggregate_unit"] = "time";
    list.push_back(std::move(agg));
  }
  return {{"context", ctx}, {"benchmarks", list}};
}

}  // namespace benchlab::reports
