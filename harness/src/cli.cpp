#include "benchlab/cli.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "benchlab/bpf/libbpf_log.hpp"
#include "benchlab/cleanup.hpp"
#include "benchlab/collectors.hpp"
#include "benchlab/core/clock.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/metrics.hpp"
#include "benchlab/report_outputs.hpp"
#include "benchlab/reports/compare.hpp"
#include "benchlab/reports/journal.hpp"
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

std::string mib(uint64_t bytes) { return fmt::format("{:.1f} MiB", double(bytes) / (1 << 20)); }

// What the report and its journal may take, from the spec alone, on the safe side. Measured: a
// run is 6-8 KB of JSON on 2 CPUs (a 5 KB latency histogram, 20 samples, /proc/stat twice).
// Per run: 32 KiB (histogram, counters, processes, summary row, layout) + 512 B per CPU (two
// /proc/stat snapshots) + 4 KiB per second of load (interval samples, at most 10 a second);
// 256 KiB for context and scenario; all twice, since journal and report coexist at the end.
uint64_t estimated_output_bytes(const ScenarioSpec& spec, size_t runs) {
  const uint64_t ncpu = uint64_t(std::max(1L, sysconf(_SC_NPROCESSORS_CONF)));
  const uint64_t per_run = (32 << 10) + 512 * ncpu + uint64_t(4096 * (spec.warmup_s + spec.duration_s + 1));
  return 2 * ((256 << 10) + per_run * runs);
}

// The report directory, checked before the run creates anything else: it exists or can be
// made, a probe file can be written in it, and its file system has room for the estimated
// output. What the check made (missing directories) is removed again on failure, and also on
// a later refusal before the run starts (another run is measuring) unless keep() was called.
class OutDir {
 public:
  OutDir(const std::string& dir, uint64_t need_bytes) : dir_(dir) {
    if (dir.empty()) fail(dir, "empty directory name");
    std::string d = dir;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    // The missing part of the path, outermost first.
    std::vector<std::string> missing;
    for (std::filesystem::path p = d; !p.empty(); p = p.parent_path()) {
      struct stat st{};
      if (::stat(p.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) fail(p.string(), "not a directory");
        break;
      }
      if (errno != ENOENT && errno != ENOTDIR) fail(p.string(), std::strerror(errno));
      missing.insert(missing.begin(), p.string());
      if (p == p.parent_path()) break;
    }
    for (const auto& m : missing) {
      if (::mkdir(m.c_str(), 0755) != 0) fail(m, std::string("cannot create directory: ") + std::strerror(errno));
      created_.push_back(m);
    }
    // Writable in fact, not by mode bits: root ignores those, a read-only mount does not.
    const std::string probe = fmt::format("{}/.benchlab-probe-{}", d, getpid());
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) fail(d, std::string("cannot write a file there: ") + std::strerror(errno));
    const bool wrote = ::write(fd, "probe\n", 6) == 6;
    const int err = errno;
    ::close(fd);
    ::unlink(probe.c_str());
    if (!wrote) fail(d, std::string("cannot write a file there: ") + std::strerror(err));
    struct statvfs vfs{};
    if (::statvfs(d.c_str(), &vfs) == 0) {
      const uint64_t avail = uint64_t(vfs.f_bavail) * vfs.f_frsize;
      if (avail < need_bytes)
        fail(d, fmt::format("not enough room: the report and its journal need about {}, {} free", mib(need_bytes),
                            mib(avail)));
    }
  }
  ~OutDir() { remove_created(); }
  OutDir(const OutDir&) = delete;
  OutDir& operator=(const OutDir&) = delete;
  void keep() { created_.clear(); }

 private:
  void remove_created() {
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::rmdir(it->c_str());
    created_.clear();
  }
  [[noreturn]] void fail(const std::string& path, const std::string& why) {
    remove_created();
    const std::string where = path == dir_ ? dir_ : dir_ + ": " + path;
    throw Error(ExitCode::usage, fmt::format("--out {}: {}", where, why));
  }

  std::string dir_;
  std::vector<std::string> created_;
};

std::string join(const std::vector<std::string>& xs, const char* sep = ", ") {
  std::string out;
  for (const auto& x : xs) out += (out.empty() ? "" : sep) + x;
  return out;
}

// One line per entry: name, kind, supported or why not, its one-line summary (the first
// sentence of its description). With a name or --verbose: the entry's options, axes, metrics
// and long description too. The same table the validator, the runner and the summary read.
void print_entry_details(const auto& e, const char* kind_word) {
  const std::string pad(4, ' ');
  std::string kinds = join(e.traffic);
  if (!e.baseline_of.empty()) kinds += "; baseline of " + join(e.baseline_of);
  if (!kinds.empty()) fmt::print("{}{}: {}\n", pad, kind_word, kinds);
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
    fmt::print("{}metric {} ({}, {}): {}\n", pad, m.name, m.unit,
               m.direction == Direction::neither ? std::string("no better direction")
                                                 : to_string(m.direction) + " is better",
               m.doc);
}

// The description up to its first ": ", "; " or ". ", at most 64 characters.
std::string summary_of(const std::string& description) {
  std::string s = description.substr(0, description.find('\n'));
  for (const char* sep : {": ", "; ", ". "}) s = s.substr(0, s.find(sep));
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s.size() > 64) {
    size_t cut = s.rfind(' ', 63);
    s = s.substr(0, cut == std::string::npos ? 63 : cut);
    // No parenthesis left open: cut before it.
    if (size_t open = s.rfind('('); open != std::string::npos && s.find(')', open) == std::string::npos)
      s = s.substr(0, open);
    while (!s.empty() && (s.back() == ' ' || s.back() == ',')) s.pop_back();
    s += " …";
  }
  return s;
}

// Returns false when `name` is given and names no entry.
bool print_list(const Registries& reg, const std::string& name, bool verbose) {
  bool found = false;
  auto show = [&](const auto& registry, const char* kind, const char* kind_word) {
    for (const auto& e : registry.entries()) {
      if (!name.empty() && e.name != name) continue;
      found = true;
      Support s = e.probe();
      fmt::print("{:<18} {:<9} {:<12} {}\n", e.name, kind, s.ok ? "supported" : "UNSUPPORTED",
                 s.ok ? summary_of(e.description) : "why: " + s.reason);
      if (verbose || !name.empty()) print_entry_details(e, kind_word);
    }
  };
  show(reg.topologies, "topology", "");
  show(reg.datapaths, "datapath", "carries");
  show(reg.workloads, "workload", "makes");
  if (name.empty() && verbose) {
    fmt::print("every row also carries:");
    for (const auto& m : common_metrics()) fmt::print(" {}", m.name);
    fmt::print("\n");
  } else if (name.empty()) {
    fmt::print("(benchlab list NAME or --verbose: options, axes, metrics and the long description)\n");
  }
  return found;
}

reports::Report read_or_fail(const std::string& path) {
  try {
    return reports::read_report(path);
  } catch (const std::exception& e) {
    throw Error(ExitCode::scenario, e.what());   // malformed or newer: one line naming the file
  }
}

// `benchlab compare` and `benchlab gate`: read both reports, call the library, print.
int compare_main(bool is_gate, const std::string& base_path, const std::string& next_path, const std::string& format,
                 const std::string& junit_path, const std::string& mode_s, const std::string& correction_s,
                 const std::string& metrics_s, double alpha, double threshold, double noise_limit,
                 const std::vector<std::string>& limits) {
  reports::CompareMode mode{};
  reports::Correction correction{};
  if (!mode_s.empty() && !reports::parse_compare_mode(mode_s, &mode))
    throw Error(ExitCode::usage, "--mode " + mode_s + ": expected absolute or ratio");
  if (!correction_s.empty() && !reports::parse_correction(correction_s, &correction))
    throw Error(ExitCode::usage, "--correction " + correction_s + ": expected holm, bh or none");
  const reports::Report base = read_or_fail(base_path), next = read_or_fail(next_path);
  auto label = [](const std::string& p) { return std::filesystem::path(p).filename().string(); };

  if (!is_gate) {
    reports::CompareOptions o;
    if (!mode_s.empty()) o.mode = mode;
    if (!correction_s.empty()) o.correction = correction;
    if (alpha > 0) o.alpha = alpha;
    if (threshold >= 0) o.threshold_pct = threshold;
    if (noise_limit > 0) o.noise_limit_pct = noise_limit;
    for (size_t at = 0; !metrics_s.empty() && at <= metrics_s.size();) {
      const size_t comma = std::min(metrics_s.find(',', at), metrics_s.size());
      if (comma > at) o.metrics.push_back(metrics_s.substr(at, comma - at));
      at = comma + 1;
    }
    reports::CompareResult c;
    try {
      c = reports::compare_reports(base, next, o);
    } catch (const std::invalid_argument& e) {
      throw Error(ExitCode::usage, e.what());
    }
    c.base_label = label(base_path);
    c.next_label = label(next_path);
    if (format == "json") fmt::print("{}\n", reports::to_json(c).dump(2));
    else if (format == "markdown") fmt::print("{}", reports::compare_markdown(c));
    else fmt::print("{}", reports::compare_console(c));
    return 0;
  }

  reports::GateSpec spec;
  try {
    spec = reports::gate_spec_of(next);
  } catch (const std::exception& e) {
    throw Error(ExitCode::scenario, next_path + ": " + e.what());
  }
  if (!mode_s.empty()) spec.mode = mode;
  if (!correction_s.empty()) spec.correction = correction;
  if (alpha > 0) spec.alpha = alpha;
  if (!limits.empty()) spec.limits_pct.clear();
  for (const std::string& l : limits) {
    const size_t eq = l.find('=');
    double pct = 0;
    if (eq == std::string::npos || eq == 0 || !reports::parse_gate_limit(l.substr(eq + 1), &pct))
      throw Error(ExitCode::usage, "--limit " + l + ": expected metric=-5% or metric=+10%");
    spec.limits_pct[l.substr(0, eq)] = pct;
  }
  reports::Report b = base, n = next;
  if (noise_limit > 0) b.scenario.noise_limit_pct = n.scenario.noise_limit_pct = noise_limit;
  reports::GateResult g = reports::gate(b, n, spec);
  g.comparison.base_label = label(base_path);
  g.comparison.next_label = label(next_path);
  fmt::print("{}", reports::gate_console(g));
  if (!junit_path.empty()) {
    const std::string xml = reports::junit_xml(g, "benchlab." + (n.scenario.name.empty() ? "report" : n.scenario.name));
    const std::string tmp = junit_path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    const bool ok = f && std::fwrite(xml.data(), 1, xml.size(), f) == xml.size();
    if (f && std::fclose(f) != 0) f = nullptr;
    if (!ok || !f || std::rename(tmp.c_str(), junit_path.c_str()) != 0) {
      std::remove(tmp.c_str());
      throw Error(ExitCode::run_failure, "--junit " + junit_path + ": cannot write: " + std::strerror(errno));
    }
    fmt::print("junit: {}\n", junit_path);
  }
  return int(g.status);
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
  bool run_plot = false, run_html = false;
  run->add_flag("--plot", run_plot, "also write the figures beside the report (<report>-<figure>.png/.svg)");
  run->add_flag("--html", run_html, "also write the self-contained HTML page beside the report (<report>.html)");

  auto* validate = app.add_subcommand("validate", "check a scenario file without running it");
  validate->add_option("scenario", scenario_path, "scenario TOML file")->required();
  validate->add_option("--set", sets, "override a scenario key: key=value");

  auto* list = app.add_subcommand("list", "topologies, datapaths and workloads, and whether this kernel supports them");
  std::string list_name;
  bool list_verbose = false;
  list->add_option("name", list_name, "one entry: its options, axes, metrics and long description");
  list->add_flag("--verbose,-v", list_verbose, "every entry's options, axes, metrics and long description");
  auto* env = app.add_subcommand("env", "print the environment capture a report records, as JSON");
  auto* cleanup = app.add_subcommand("cleanup", "remove what a crashed run left (benchlab's own names only)");
  std::string report_path, recover_path;
  auto* report_cmd = app.add_subcommand("report", "print the summary table of a report file (recomputed from its raw runs)");
  auto* report_opt = report_cmd->add_option("report", report_path, "report JSON written by benchlab run");
  auto* recover_opt = report_cmd->add_option(
      "--recover", recover_path, "write the report of an interrupted run from its journal, beside it (the journal is kept)");
  recover_opt->excludes(report_opt);
  ReportOutputs exports;
  for (auto* o : {report_cmd->add_option("--csv", exports.csv,
                                         "write one CSV line per cell x datapath x repetition x metric (- for stdout)"),
                  report_cmd->add_option("--gbench-json", exports.gbench_json,
                                         "write the time-like metrics as Google-Benchmark JSON (- for stdout)"),
                  report_cmd->add_option("--html", exports.html, "write one self-contained HTML page"),
                  report_cmd->add_option("--plot", exports.plot_stem,
                                         "write the figures as <STEM>-<figure>.png and .svg")})
    o->excludes(recover_opt);

  // compare / gate: two reports; the library does the work, this only wires flags.
  std::string base_path, next_path, format = "console", junit_path, mode_s, correction_s, metrics_s;
  double alpha = 0, threshold = -1, noise_limit = 0;
  auto* compare_cmd = app.add_subcommand("compare", "compare two reports row by row: significant changes, direction-aware");
  auto* gate_cmd = app.add_subcommand("gate", "regression gate: exit 0 pass, 1 regression, 6 cannot judge; JUnit XML");
  for (auto* c : {compare_cmd, gate_cmd}) {
    c->add_option("base", base_path, "the reference report (JSON written by benchlab run)")->required();
    c->add_option("new", next_path, "the report to judge")->required();
    c->add_option("--mode", mode_s, "absolute | ratio (each datapath over its cell's baseline in the same run)");
    c->add_option("--correction", correction_s, "holm | bh | none: multiple-comparison correction");
    c->add_option("--alpha", alpha, "significance level after correction (default 0.05)")->check(CLI::Range(1e-9, 0.5));
    c->add_option("--noise-limit", noise_limit, "override the reports' noise_limit_pct (CV %)")->check(CLI::Range(1e-9, 1e6));
  }
  compare_cmd->add_option("--threshold", threshold, "smallest effect, in %, that counts as a change (default 5)")
      ->check(CLI::Range(0.0, 1e6));
  compare_cmd->add_option("--metrics", metrics_s, "comma-separated metrics to compare, or \"all\" (default: headline metrics)");
  compare_cmd->add_option("--format", format, "console | markdown | json")->check(CLI::IsMember({"console", "markdown", "json"}));
  gate_cmd->add_option("--junit", junit_path, "write JUnit XML (one test case per row x gated metric) here");
  std::vector<std::string> limits;
  gate_cmd->add_option("--limit", limits, "metric=-5%: gate exactly these metrics at these limits instead of the scenario's [gates]");

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
      if (!print_list(reg, list_name, list_verbose))
        throw Error(ExitCode::usage, fmt::format("list: no topology, datapath or workload named '{}'", list_name));
      return 0;
    }
    if (*report_cmd && !recover_path.empty()) {
      reports::JournalContents contents;
      try {
        contents = reports::read_journal(recover_path);
      } catch (const std::exception& e) {
        throw Error(ExitCode::scenario, e.what());   // unreadable or malformed: one line naming the file
      }
      const size_t n = contents.report.runs.size();
      const reports::RecoveredReport rec = reports::write_recovered_report(recover_path, std::move(contents));
      fmt::print("{}", reports::console_table(reports::read_report(rec.report_path)));
      fmt::print("recovered {} of {} runs{}\nreport: {}\n", n, rec.planned_runs,
                 rec.torn_tail ? " (a last line cut short was ignored)" : "", rec.report_path);
      return 0;
    }
    if (*report_cmd) {
      if (report_path.empty()) throw Error(ExitCode::usage, "report: give a report file, or --recover JOURNAL");
      reports::Report r;
      try {
        r = reports::read_report(report_path);
      } catch (const std::exception& e) {
        throw Error(ExitCode::scenario, e.what());   // malformed or newer: one line naming the file
      }
      const bool to_stdout = exports.csv == "-" || exports.gbench_json == "-";
      if (exports.csv == "-" && exports.gbench_json == "-")
        throw Error(ExitCode::usage, "report: --csv - and --gbench-json - cannot both write to standard output");
      const bool any_export = !exports.csv.empty() || !exports.gbench_json.empty() || !exports.html.empty() ||
                              !exports.plot_stem.empty();
      if (!any_export) fmt::print("{}", reports::console_table(r));
      write_report_outputs(r, exports);
      for (const auto& [what, path] : {std::pair{"csv", exports.csv}, {"gbench-json", exports.gbench_json},
                                       {"html", exports.html}})
        if (!path.empty() && path != "-") fmt::print(to_stdout ? stderr : stdout, "{}: {}\n", what, path);
      return 0;
    }
    if (*compare_cmd || *gate_cmd) return compare_main(bool(*gate_cmd), base_path, next_path, format, junit_path, mode_s,
                                                       correction_s, metrics_s, alpha, threshold, noise_limit, limits);
    if (*env) {
      fmt::print("{}\n", capture_environment().dump(2));
      return 0;
    }
    if (*cleanup) {
      CleanupReport r = cleanup_leftovers();
      for (const auto& line : r.removed) fmt::print("removed {}\n", line);
      for (const auto& line : r.recovered) fmt::print("recovered report {}\n", line);
      for (const auto& line : r.errors) fmt::print(stderr, "benchlab cleanup: {}\n", line);
      if (r.removed.empty() && r.recovered.empty() && r.errors.empty()) fmt::print("nothing to clean up\n");
      return r.errors.empty() ? 0 : int(ExitCode::run_failure);
    }

    // run
    ScenarioSpec spec = load_scenario(scenario_path, reg, sets);
    const size_t planned_runs = spec.run_count();
    require_root("benchlab run");
    // Before any side effect: a run of hours must not end by failing to write its report.
    OutDir out(out_dir, estimated_output_bytes(spec, planned_runs));
    RunLock lock;
    out.keep();
    if (auto left = find_leftovers(); !left.empty())
      fmt::print(stderr, "benchlab: warning: {} leftovers of an earlier run found ({}...); `benchlab cleanup` removes them\n",
                 left.size(), left.front());
    // The report's name is fixed now: its journal lives beside it under the same stem. Two runs
    // in the same second must not overwrite each other's files. Absolute, because `benchlab
    // cleanup` finds the journal through the run record from any directory.
    std::filesystem::path dir = std::filesystem::absolute(out_dir).lexically_normal();
    if (!dir.has_filename()) dir = dir.parent_path();   // "out/" -> "out"
    const std::string stem = (dir / (spec.name + "-" + local_timestamp())).string();
    std::string path = stem + ".json", journal_path = stem + ".journal";
    for (int i = 2; std::filesystem::exists(path) || std::filesystem::exists(journal_path); ++i) {
      path = stem + "-" + std::to_string(i) + ".json";
      journal_path = stem + "-" + std::to_string(i) + ".journal";
    }
    const reports::ScenarioInfo info = scenario_info(spec, sets);
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
    // Every completed run goes to the journal before the next starts; the header is written
    // with the first run, when the context holds everything the runner records (offloads).
    std::optional<reports::Journal> journal;
    std::string journal_error;
    ro.journal_path = journal_path;
    ro.on_run_done = [&](const reports::Report& so_far) {
      try {
        if (!journal) {
          reports::Report header = so_far;
          header.scenario = info;
          journal.emplace(journal_path, header, planned_runs);
        }
        journal->append(so_far.runs.back());
      } catch (const std::exception& e) {
        journal_error = e.what();
        throw;
      }
    };
    // One line saying where the completed runs are, for any way this run ends without a report.
    auto in_journal = [&] {
      const size_t n = journal ? journal->runs() : 0;
      if (n == 0) return std::string("no run reached the journal");
      return fmt::format("{} completed run{} in {} (`benchlab report --recover {}` writes the report)", n,
                         n == 1 ? " is" : "s are", journal_path, journal_path);
    };
    reports::Report report;
    try {
      report = run_scenario(spec, reg, ro);
    } catch (const Error& e) {
      if (journal && journal->runs()) throw Error(e.code(), std::string(e.what()) + "; " + in_journal());
      throw;
    } catch (const std::exception& e) {
      if (journal && journal->runs()) throw RunError(std::string(e.what()) + "; " + in_journal());
      throw;
    }
    if (tty) fmt::print(stderr, "\r\033[K");
    report.scenario = info;
    reports::summarize(report);
    try {
      reports::write_report(report, path);
    } catch (const std::exception& e) {
      if (!journal_error.empty())   // the disk filled up: the journal's error is the one that matters
        throw RunError(fmt::format("{}; stopped after teardown; {}", journal_error, in_journal()));
      throw RunError(fmt::format("{}; {}", e.what(), in_journal()));
    }
    // The report holds every run the journal held.
    journal.reset();
    std::error_code ec;
    std::filesystem::remove(journal_path, ec);
    fmt::print("{}", reports::console_table(report));
    fmt::print("report: {}\n", path);
    if (run_plot || run_html) {
      // Beside the report; a failure here loses nothing measured (the report is written).
      ReportOutputs extra;
      const std::string stem = path.substr(0, path.size() - 5);   // without ".json"
      if (run_plot) extra.plot_stem = stem;
      if (run_html) extra.html = stem + ".html";
      try {
        write_report_outputs(report, extra);
        if (run_html) fmt::print("html: {}\n", extra.html);
      } catch (const Error& e) {
        fmt::print(stderr, "benchlab: {} (the report is written: `benchlab report {} --html/--plot` retries)\n",
                   e.what(), path);
        return int(ExitCode::run_failure);
      }
    }
    if (int sig = interrupted_signal()) {
      fmt::print(stderr, "benchlab: interrupted by signal {}; partial report written, everything torn down\n", sig);
      return 128 + sig;
    }
    if (!journal_error.empty()) {
      fmt::print(stderr, "benchlab: {}; stopped after teardown, partial report written\n", journal_error);
      return int(ExitCode::run_failure);
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
