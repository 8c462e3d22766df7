#include "benchlab/runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <random>
#include <set>

#include <fmt/format.h>

#include "benchlab/cleanup.hpp"
#include "benchlab/collectors.hpp"
#include "benchlab/core/child.hpp"
#include "benchlab/core/clock.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/kernel_context.hpp"
#include "benchlab/packet_passes.hpp"

namespace benchlab {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig) {
  if (g_signal.load() != 0) {
    // A second Ctrl-C: the user insists. Children die with us (PR_SET_PDEATHSIG); what the run
    // created is listed in its state record for `benchlab cleanup`.
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_signal.store(sig);
}

std::string random_hex(int n) {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < n; ++i) s += "0123456789abcdef"[rd() % 16];
  return s;
}

}  // namespace

int interrupted_signal() { return g_signal.load(); }

void install_signal_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

reports::ScenarioInfo scenario_info(const ScenarioSpec& spec, const std::vector<std::string>& overrides) {
  reports::ScenarioInfo s;
  s.name = spec.name;
  s.description = spec.description;
  s.file = spec.file;
  s.sha256 = spec.sha256;
  s.duration_s = spec.duration_s;
  s.warmup_s = spec.warmup_s;
  s.repetitions = spec.repetitions;
  s.topology = spec.topology;
  s.family = to_string(spec.family);
  s.datapaths = spec.datapaths;
  s.workloads = spec.workloads;
  for (const auto& [axis, values] : spec.matrix) {
    nlohmann::json a = nlohmann::json::array();
    for (const OptionValue& v : values) a.push_back(to_json(v));
    s.matrix[axis] = a;
  }
  for (const NotRun& x : spec.not_run) s.not_run.push_back({x.datapath, x.workload, x.reason});
  s.options["topology"] = to_json(spec.topology_options);
  for (const auto& [k, v] : spec.datapath_options) s.options["datapath"][k] = to_json(v);
  for (const auto& [k, v] : spec.workload_options) s.options["workload"][k] = to_json(v);
  s.overrides = overrides;
  s.noise_limit_pct = spec.noise_limit_pct;
  if (spec.gates.present) {
    s.gates = nlohmann::json::object();
    for (const auto& [metric, pct] : spec.gates.limits_pct) s.gates[metric] = fmt::format("{:+g}%", pct);
    s.gates["alpha"] = spec.gates.alpha;
    s.gates["correction"] = spec.gates.correction;
    s.gates["compare"] = spec.gates.compare;
  }
  return s;
}

reports::MetricTable metric_table(const ScenarioSpec& spec, const Registries& reg) {
  reports::MetricTable t;
  t.common.assign(common_metrics().begin(), common_metrics().end());
  for (const auto& w : spec.workloads) {
    t.workloads[w] = reg.workloads.find(w)->metrics;
    t.workload_kinds[w] = spec.workload_kind.at(w);
  }
  for (const auto& d : spec.datapaths)
    if (const auto& m = reg.datapaths.find(d)->metrics; !m.empty()) t.datapaths[d] = m;
  t.baselines = spec.baselines;
  return t;
}

reports::Report run_scenario(const ScenarioSpec& spec, const Registries& reg, const RunOptions& opts) {
  require_root("benchlab run");
  const auto* topo_entry = reg.topologies.find(spec.topology);
  if (Support s = topo_entry->probe(); !s.ok)
    throw UnsupportedError("topology '" + spec.topology + "' is not supported here: " + s.reason);

  // Probe every datapath and workload once: an unsupported one is a recorded skip, not an error.
  std::map<std::string, std::string> unsupported;
  for (const auto& d : spec.datapaths)
    if (Support s = reg.datapaths.find(d)->probe(); !s.ok) unsupported[d] = s.reason;
  for (const auto& w : spec.workloads)
    if (Support s = reg.workloads.find(w)->probe(); !s.ok) unsupported[w] = s.reason;

  reports::Report report;
  report.created_utc = utc_now_iso();
  report.context = capture_environment();
  const int ncpu = int(sysconf(_SC_NPROCESSORS_ONLN));
  // Every CPU role's CPU, per placement the scenario uses.
  const auto placements = spec.matrix.find("cpu_placement");
  for (const OptionValue& v : placements == spec.matrix.end() ? std::vector<OptionValue>{std::string("cross-core")}
                                                              : placements->second) {
    CpuPlacement p = CpuPlacement::cross_core;
    if (const auto* name = std::get_if<std::string>(&v)) parse_cpu_placement(*name, &p);
    const CpuAssignment cpus = assign_cpus(p, ncpu);   // named: .all() of a temporary would dangle
    for (const auto& [role, cpu] : cpus.all()) report.context["pinning"][to_string(p)][role + "_cpu"] = cpu;
  }
  report.metrics = metric_table(spec, reg);
  report.benchlab_version = report.context["benchlab"]["version"];
  report.git_revision = report.context["benchlab"]["git_revision"];

  const std::string run_base = random_hex(6);
  // Lets `benchlab cleanup` tell our resources from a dead run's, and find its journal.
  RunRecordFile run_record(run_base, opts.journal_path);
  const auto cells = spec.cells();
  const size_t planned_runs = spec.run_count();
  const double t_start = mono_now_s();
  unsigned seq = 0;
  bool offloads_recorded = false;
  LoadedPrograms bpf_programs;   // what each datapath variant loaded, for the context
  nlohmann::json topo_times = nlohmann::json::array();

  std::string stopped;   // why on_run_done refused a run (a full disk): no further run starts
  auto stop = [&] { return interrupted_signal() != 0 || !stopped.empty(); };
  auto done = [&](reports::RunRecord&& rec) {
    report.runs.push_back(std::move(rec));
    if (!opts.on_run_done) return;
    try {
      opts.on_run_done(report);
    } catch (const std::exception& e) {
      stopped = e.what();
    }
  };

  // Every datapath's variants, once.
  std::vector<DatapathVariant> variants;
  for (const auto& dp : spec.datapaths)
    for (DatapathVariant& v : spec.variants(dp)) variants.push_back(std::move(v));

  // The topology of one run, with the cell's values of the topology's own axes.
  auto build_topology = [&](const Cell& cell, TopologyOptions& topts) {
    topts.run_id = run_base + fmt::format("{:02x}", seq++ & 0xff);
    OptionValues topo_values = spec.topology_options;
    for (const AxisSpec& a : spec.topology_axes)
      if (const OptionValue* v = cell.find(a.name)) topo_values.set(a.name, *v);
    return topo_entry->factory(topts, topo_values);
  };

  // Packet cells: the generator alone, with a native XDP_DROP on the DUT (packet_passes.hpp).
  const auto* alone_dp = reg.datapaths.find("xdp-drop");
  const bool alone_supported = alone_dp && alone_dp->probe().ok;
  auto generator_alone = [&](const Cell& cell, std::string* error) -> std::optional<double> {
    const OptionValues& wopts = spec.workload_options.at(cell.workload());
    if (spec.workload_kind.at(cell.workload()) != "packet" || !wopts.has("generator_alone") ||
        !wopts.get_bool("generator_alone") || unsupported.count(cell.workload()))
      return std::nullopt;
    if (!alone_supported) {
      *error = "no native xdp-drop here to measure the generator alone";
      return std::nullopt;
    }
    try {
      TopologyOptions topts;
      std::unique_ptr<Topology> topo = build_topology(cell, topts);
      OptionValues variant;
      variant.set("attach_mode", std::string("native"));
      const CpuAssignment cpus = assign_cpus(placement_of(cell), ncpu);
      DatapathContext dctx{*topo, cell, OptionValues::defaults(alone_dp->options), topts.run_id, cpus, variant};
      std::unique_ptr<Datapath> dp = alone_dp->factory(dctx);
      auto workload = reg.workloads.find(cell.workload())->factory();
      WorkloadContext wctx{*topo, cell, wopts, *dp, cpus, spec.warmup_s, spec.duration_s, {}, opts.verbose};
      wctx.hooks.snapshot = [&] { return WindowCounters{dp->read_counters(), read_topology_links(*topo)}; };
      const WorkloadResult r = workload->run(wctx);
      if (!r.failure.empty()) {
        *error = r.failure;
        return std::nullopt;
      }
      return handled_pps(r);
    } catch (const std::exception& e) {
      *error = e.what();
      return std::nullopt;
    }
  };

  for (size_t ci = 0; ci < cells.size() && !stop(); ++ci) {
    const Cell& cell = cells[ci];
    for (int rep = 0; rep < spec.repetitions && !stop(); ++rep) {
      std::string alone_error;
      const std::optional<double> alone_pps = generator_alone(cell, &alone_error);
      for (const DatapathVariant& variant : variants) {
        const std::string& dp = variant.datapath;
        if (stop()) break;
        if (!spec.runs_in(dp, cell.workload())) continue;   // another traffic kind: in scenario.not_run
        reports::RunRecord rec;
        rec.cell = cell;
        rec.datapath = dp;
        rec.variant = variant.label;
        rec.variant_axes = variant.axes;
        rec.repetition = rep;
        rec.started_unix_s = unix_now_s();
        if (opts.on_progress) {
          try {
            opts.on_progress({ci + 1, cells.size(), rep + 1, spec.repetitions, variant.label, cell.label(),
                              mono_now_s() - t_start, spec.estimated_seconds()});
          } catch (const std::exception& e) {
            stopped = e.what();   // this run does not start; nothing of it exists yet
            break;
          }
        }
        if (auto it = unsupported.find(dp); it != unsupported.end()) {
          rec.status = reports::RunStatus::skipped;
          rec.error = dp + ": " + it->second;
          done(std::move(rec));
          continue;
        }
        if (auto it = unsupported.find(cell.workload()); it != unsupported.end()) {
          rec.status = reports::RunStatus::skipped;
          rec.error = cell.workload() + ": " + it->second;
          done(std::move(rec));
          continue;
        }
        TopologyOptions topts;
        std::unique_ptr<Topology> topo;
        try {
          topo = build_topology(cell, topts);
          rec.topology_build_ms = std::chrono::duration<double, std::milli>(topo->build_time()).count();
          if (!offloads_recorded) {
            report.context["offloads"] = capture_offloads(*topo);
            offloads_recorded = true;
          }
          {
            const OptionValues& dopts = spec.datapath_options.at(dp);
            const CpuAssignment cpus = assign_cpus(placement_of(cell), ncpu);
            DatapathContext dctx{*topo, cell, dopts, topts.run_id, cpus, variant.axes};
            const std::set<uint32_t> progs_before = LoadedPrograms::host_ids();
            std::unique_ptr<Datapath> datapath = reg.datapaths.find(dp)->factory(dctx);
            if (bpf_programs.record(variant.label, progs_before)) report.context["bpf_programs"] = bpf_programs.to_json();
            auto workload = reg.workloads.find(cell.workload())->factory();
            WindowCounters c_begin, c_end;
            WorkloadContext wctx{*topo, cell, spec.workload_options.at(cell.workload()), *datapath,
                                 cpus, spec.warmup_s, spec.duration_s, {}, opts.verbose};
            wctx.hooks.begin = [&] {
              rec.cpu_begin = read_proc_stat();
              c_begin = {datapath->read_counters(), read_topology_links(*topo)};
            };
            wctx.hooks.end = [&] {
              rec.cpu_end = read_proc_stat();
              c_end = {datapath->read_counters(), read_topology_links(*topo)};
            };
            wctx.hooks.snapshot = [&] { return WindowCounters{datapath->read_counters(), read_topology_links(*topo)}; };
            rec.result = workload->run(wctx);
            const WindowCounters delta{counter_delta(c_begin.datapath, c_end.datapath),
                                       link_delta(c_begin.links, c_end.links)};
            rec.counters_delta = delta.datapath;
            rec.links_delta = delta.links;
            rec.engagement = datapath->check_engagement(delta, rec.result);
            rec.attributes = datapath->attributes();
            if (spec.workload_kind.at(cell.workload()) == "packet" && rec.result.failure.empty()) {
              if (alone_pps) label_generator_bound(rec, *alone_pps);
              else if (!alone_error.empty()) rec.attributes["generator_alone_error"] = alone_error;
              const OptionValues& wopts = spec.workload_options.at(cell.workload());
              if (wopts.has("program_cost") && wopts.get_bool("program_cost") && !stop())
                program_cost_pass(*workload, wctx, *datapath, rec);
            }
            // The workload's own failure is the first cause (a timeout also leaves the datapath
            // nothing to show); its samples stay in the record either way.
            if (!rec.result.failure.empty()) {
              rec.status = reports::RunStatus::failed;
              rec.error = rec.result.failure;
            } else if (rec.engagement.checked && !rec.engagement.ok) {
              rec.status = reports::RunStatus::failed;
              rec.error = dp + " engagement check failed: " + rec.engagement.message;
            } else if (rec.result.payload_errors > 0) {
              rec.status = reports::RunStatus::failed;
              rec.error = fmt::format("payload check failed: {} corrupted messages", rec.result.payload_errors);
            }
          }  // datapath detached here, before the topology goes
        } catch (const UnsupportedError& e) {
          rec.status = reports::RunStatus::skipped;
          rec.error = e.what();
        } catch (const std::exception& e) {
          rec.status = reports::RunStatus::failed;
          rec.error = e.what();
        }
        auto t0 = std::chrono::steady_clock::now();
        topo.reset();
        rec.topology_teardown_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        done(std::move(rec));
      }
    }
  }
  report.wall_s = mono_now_s() - t_start;
  if (int sig = interrupted_signal()) report.context["interrupted_by_signal"] = sig;
  if (stop()) {
    const std::string reason = !stopped.empty() ? stopped : fmt::format("interrupted by signal {}", interrupted_signal());
    report.context["interrupted"] = {
        {"reason", reason}, {"completed_runs", report.runs.size()}, {"planned_runs", planned_runs}};
  }
  return report;
}

}  // namespace benchlab
