#include "benchlab/cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "benchlab/bpf/libbpf_log.hpp"
#include "benchlab/cleanup.hpp"
#include "benchlab/collectors.hpp"
#include "benchlab/core/clock.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/metrics.hpp"
#include "benchlab/runner.hpp"
#include "benchlab/builtin_registries.hpp"
#include "benchlab/scenario.hpp"

namespace benchlab {
namespace {

std::string default_out_dir() { return std::string(BENCHLAB_SOURCE_DIR) + "/reports/out"; }

std::string hms(double s) {
  int t = int(s + 0.5);
  return fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60);
}

std::string join(const std::vector<std::string>& xs, const char* sep = ", ") {
  std::string out;
  for (const auto& x : xs) out += (out.empty() ? "" : sep) + x;
  return out;
}

// Every entry with its traffic kinds, options, axes and metrics: the same table the validator,
// the runner and the summary read.
void print_list(const Registries& reg) {
  auto show = [](const char* title, const auto& registry, const char* kind_word) {
    fmt::print("{}\n", title);
    for (const auto& e : registry.entries()) {
      Support s = e.probe();
      std::string kinds = join(e.traffic);
      if (!e.baseline_of.empty()) kinds += "; baseline of " + join(e.baseline_of);
      fmt::print("  {:<16} {:<11} {}\n", e.name, s.ok ? "supported" : "UNSUPPORTED",
                 kinds.empty() ? std::string() : std::string(kind_word) + ": " + kinds);
      const std::string pad(30, ' ');
      if (!s.ok) fmt::print("{}why: {}\n", pad, s.reason);
      fmt::print("{}{}\n", pad, e.description);
      for (const auto& o : e.options)
        fmt::print("{}option {} ({}, default {}){}\n", pad, o.name, to_string(o.type), to_string(o.default_value),
                   o.doc.empty() ? "" : ": " + o.doc);
      for (const auto& a : e.axes) {
        std::string range = !a.choices.empty() ? join(a.choices, "|")
                            : a.min && a.max   ? fmt::format("{}..{}", *a.min, *a.max)
                                               : to_string(a.type);
        fmt::print("{}axis {} [{}{}{}], default {}: {}\n", pad, a.name, range, a.unit.empty() ? "" : " ", a.unit,
                   to_string(a.default_value), a.doc);
      }
      for (const auto& m : e.metrics)
        fmt::print("{}metric {} ({}, {} is better): {}\n", pad, m.name, m.unit,
                   m.direction == Direction::neither ? std::string("neither") : to_string(m.direction), m.doc);
    }
  };
  show("topologies:", reg.topologies, "");
  show("datapaths:", reg.datapaths, "carries");
  show("workloads:", reg.workloads, "makes");
  fmt::print("every row also carries:");
  for (const auto& m : common_metrics()) fmt::print(" {}", m.name);
  fmt::print("\n");
}

}  // namespace

int cli_main(int argc, char** argv) {
  CLI::App app{"benchlab: measure what an eBPF datapath buys over the kernel stack"};
  app.require_subcommand(1);
  app.set_version_flag("--version", BENCHLAB_VERSION);

  std::string scenario_path, out_dir = default_out_dir();
  std::vector<std::string> sets;
  int repetitions = 0;
  bool quiet = false, verbose = false;

  auto* run = app.add_subcommand("run", "run a scenario and write a report");
  run->add_option("scenario", scenario_path, "scenario TOML file")->required();
  run->add_option("--out", out_dir, "directory for the report (default: reports/out)");
  run->add_option("--set", sets, "override a scenario key: key=value (TOML value; dotted keys for tables)");
  run->add_option("--repetitions", repetitions, "override the scenario's repetitions")->check(CLI::Range(1, 1000));
  auto* q = run->add_flag("--quiet,-q", quiet, "no progress, only the final table and errors");
  run->add_flag("--verbose,-v", verbose, "libbpf log and one line per run")->excludes(q);

  auto* validate = app.add_subcommand("validate", "check a scenario file without running it");
  validate->add_option("scenario", scenario_path, "scenario TOML file")->required();
  validate->add_option("--set", sets, "override a scenario key: key=value");

  auto* list = app.add_subcommand("list", "topologies, datapaths and workloads, and whether this kernel supports them");
  auto* env = app.add_subcommand("env", "print the environment capture a report records, as JSON");
  auto* cleanup = app.add_subcommand("cleanup", "remove what a crashed run left (benchlab's own names only)");
  std::string report_path;
  auto* report_cmd = app.add_subcommand("report", "print the summary table of a report file (recomputed from its raw runs)");
  report_cmd->add_option("report", report_path, "report JSON written by benchlab run")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);   // --help, --version
    fmt::print(stderr, "benchlab: {} (see benchlab --help)\n", e.what());
    return int(ExitCode::usage);
  }

  try {
    bpf::set_libbpf_verbose(verbose);
    const Registries& reg = builtin_registries();
    if (repetitions > 0) sets.push_back("repetitions=" + std::to_string(repetitions));

    if (*validate) {
      ScenarioSpec spec = load_scenario(scenario_path, reg, sets);
      fmt::print("{}: ok: {} cells x {} datapaths x {} repetitions = {} runs, about {}\n", scenario_path,
                 spec.cells().size(), spec.datapaths.size(), spec.repetitions, spec.run_count(),
                 hms(spec.estimated_seconds()));
      for (const NotRun& x : spec.not_run)
        fmt::print("{}: {} does not run in {} cells: {}\n", scenario_path, x.datapath, x.workload, x.reason);
      return 0;
    }
    if (*list) {
      print_list(reg);
      return 0;
    }
    if (*report_cmd) {
      reports::Report r;
      try {
        r = reports::read_report(report_path);
      } catch (const std::exception& e) {
        throw Error(ExitCode::scenario, e.what());   // malformed or newer: one line naming the file
      }
      fmt::print("{}", reports::console_table(r));
      return 0;
    }
    if (*env) {
      fmt::print("{}\n", capture_environment().dump(2));
      return 0;
    }
    if (*cleanup) {
      CleanupReport r = cleanup_leftovers();
      for (const auto& line : r.removed) fmt::print("removed {}\n", line);
      for (const auto& line : r.errors) fmt::print(stderr, "benchlab cleanup: {}\n", line);
      if (r.removed.empty() && r.errors.empty()) fmt::print("nothing to clean up\n");
      return r.errors.empty() ? 0 : int(ExitCode::run_failure);
    }

    // run
    ScenarioSpec spec = load_scenario(scenario_path, reg, sets);
    require_root("benchlab run");
    RunLock lock;
    if (auto left = find_leftovers(); !left.empty())
      fmt::print(stderr, "benchlab: warning: {} leftovers of an earlier run found ({}...); `benchlab cleanup` removes them\n",
                 left.size(), left.front());
    install_signal_handlers();
    RunOptions ro;
    ro.verbose = verbose;
    const bool tty = isatty(STDERR_FILENO) && !quiet;
    if (tty || verbose) {
      ro.on_progress = [tty](const Progress& p) {
        std::string line = fmt::format("[cell {}/{} rep {}/{}] {:<12} {}  elapsed {} of ~{}", p.cell, p.cells, p.repetition,
                                       p.repetitions, p.datapath, p.cell_label, hms(p.elapsed_s), hms(p.estimated_s));
        if (tty) fmt::print(stderr, "\r\033[K{}", line);
        else fmt::print(stderr, "{}\n", line);
      };
    }
    reports::Report report = run_scenario(spec, reg, ro);
    if (tty) fmt::print(stderr, "\r\033[K");
    report.scenario = scenario_info(spec, sets);
    reports::summarize(report);
    std::filesystem::create_directories(out_dir);
    // Two runs in the same second must not overwrite each other's report.
    std::string stem = out_dir + "/" + spec.name + "-" + local_timestamp(), path = stem + ".json";
    for (int i = 2; std::filesystem::exists(path); ++i) path = stem + "-" + std::to_string(i) + ".json";
    reports::write_report(report, path);
    fmt::print("{}", reports::console_table(report));
    fmt::print("report: {}\n", path);
    if (int sig = interrupted_signal()) {
      fmt::print(stderr, "benchlab: interrupted by signal {}; partial report written, everything torn down\n", sig);
      return 128 + sig;
    }
    size_t failed = 0;
    for (const auto& r : report.runs) failed += r.status == reports::RunStatus::failed;
    if (failed) {
      fmt::print(stderr, "benchlab: {} of {} runs failed (see the report's errors)\n", failed, report.runs.size());
      return int(ExitCode::run_failure);
    }
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "benchlab: {}\n", e.what());
    return int(e.code());
  } catch (const std::exception& e) {
    fmt::print(stderr, "benchlab: {}\n", e.what());
    return int(ExitCode::run_failure);
  }
}

}  // namespace benchlab
