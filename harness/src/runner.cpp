#include "benchlab/runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <random>

#include <fmt/format.h>

#include "benchlab/cleanup.hpp"
#include "benchlab/collectors.hpp"
#include "benchlab/core/child.hpp"
#include "benchlab/core/clock.hpp"
#include "benchlab/core/error.hpp"

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

nlohmann::json options_json(const OptionValues& v) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kv : v.all())   // not a structured binding: clang 14 cannot capture one
    std::visit([&](const auto& y) { j[kv.first] = y; }, kv.second);
  return j;
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
  nlohmann::json placements = nlohmann::json::array();
  for (auto p : spec.placements) placements.push_back(to_string(p));
  s.matrix = {{"message_size", spec.message_sizes}, {"flows", spec.flows}, {"cpu_placement", placements}};
  s.options["topology"] = options_json(spec.topology_options);
  for (const auto& [k, v] : spec.datapath_options) s.options["datapath"][k] = options_json(v);
  for (const auto& [k, v] : spec.workload_options) s.options["workload"][k] = options_json(v);
  s.overrides = overrides;
  return s;
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
  for (auto p : spec.placements) {
    CpuAssignment a = assign_cpus(p, ncpu);
    report.context["pinning"][to_string(p)] = {{"client_cpu", a.client_cpu}, {"server_cpu", a.server_cpu}};
  }
  report.benchlab_version = report.context["benchlab"]["version"];
  report.git_revision = report.context["benchlab"]["git_revision"];

  const std::string run_base = random_hex(6);
  RunRecordFile run_record(run_base);   // lets `benchlab cleanup` tell our resources from a dead run's
  const auto cells = spec.cells();
  const double t_start = mono_now_s();
  unsigned seq = 0;
  bool offloads_recorded = false;
  nlohmann::json topo_times = nlohmann::json::array();

  for (size_t ci = 0; ci < cells.size() && !interrupted_signal(); ++ci) {
    const Cell& cell = cells[ci];
    for (int rep = 0; rep < spec.repetitions && !interrupted_signal(); ++rep) {
      for (const auto& dp : spec.datapaths) {
        if (interrupted_signal()) break;
        reports::RunRecord rec;
        rec.cell = cell;
        rec.datapath = dp;
        rec.repetition = rep;
        rec.started_unix_s = unix_now_s();
        if (opts.on_progress)
          opts.on_progress({ci + 1, cells.size(), rep + 1, spec.repetitions, dp, cell.label(), mono_now_s() - t_start,
                            spec.estimated_seconds()});
        if (auto it = unsupported.find(dp); it != unsupported.end()) {
          rec.status = reports::RunStatus::skipped;
          rec.error = dp + ": " + it->second;
          report.runs.push_back(std::move(rec));
          continue;
        }
        if (auto it = unsupported.find(cell.workload); it != unsupported.end()) {
          rec.status = reports::RunStatus::skipped;
          rec.error = cell.workload + ": " + it->second;
          report.runs.push_back(std::move(rec));
          continue;
        }
        TopologyOptions topts;
        topts.run_id = run_base + fmt::format("{:02x}", seq++ & 0xff);
        std::unique_ptr<Topology> topo;
        try {
          topo = topo_entry->factory(topts, spec.topology_options);
          rec.topology_build_ms = std::chrono::duration<double, std::milli>(topo->build_time()).count();
          if (!offloads_recorded) {
            report.context["offloads"] = capture_offloads(*topo);
            offloads_recorded = true;
          }
          {
            const OptionValues& dopts = spec.datapath_options.at(dp);
            DatapathContext dctx{*topo, cell, dopts, topts.run_id};
            std::unique_ptr<Datapath> datapath = reg.datapaths.find(dp)->factory(dctx);
            auto workload = reg.workloads.find(cell.workload)->factory();
            WindowCounters c_begin, c_end;
            WorkloadContext wctx{*topo, cell, spec.workload_options.at(cell.workload), *datapath,
                                 assign_cpus(cell.placement, ncpu), spec.warmup_s, spec.duration_s, {}, opts.verbose};
            wctx.hooks.begin = [&] {
              rec.cpu_begin = read_proc_stat();
              c_begin = {datapath->read_counters(), read_topology_links(*topo)};
            };
            wctx.hooks.end = [&] {
              rec.cpu_end = read_proc_stat();
              c_end = {datapath->read_counters(), read_topology_links(*topo)};
            };
            rec.result = workload->run(wctx);
            const WindowCounters delta{counter_delta(c_begin.datapath, c_end.datapath),
                                       link_delta(c_begin.links, c_end.links)};
            rec.counters_delta = delta.datapath;
            rec.links_delta = delta.links;
            rec.engagement = datapath->check_engagement(delta, rec.result);
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
        report.runs.push_back(std::move(rec));
      }
    }
  }
  report.wall_s = mono_now_s() - t_start;
  if (interrupted_signal()) report.context["interrupted_by_signal"] = interrupted_signal();
  return report;
}

}  // namespace benchlab
