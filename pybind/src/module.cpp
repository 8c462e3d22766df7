// The Python module `benchlab`: the C++ API the CLI uses (scenario loading and validation,
// the runner, reports, the registry table, the environment capture), with C++ errors raised as
// a small exception hierarchy carrying the CLI's one-line messages. Nothing is implemented twice:
// every call below is a call into the same libraries `benchlab` links.
#include <Python.h>

#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "benchlab/bpf/libbpf_log.hpp"
#include "benchlab/builtin_registries.hpp"
#include "benchlab/cleanup.hpp"
#include "benchlab/collectors.hpp"
#include "benchlab/core/clock.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/reports/report.hpp"
#include "benchlab/runner.hpp"
#include "benchlab/scenario.hpp"
#include "bindings.hpp"
#include "convert.hpp"

namespace py = pybind11;

namespace benchlab::python {

reports::Report read_report_file(const std::string& path) {
  try {
    return reports::read_report(path);
  } catch (const std::exception& e) {
    throw Error(ExitCode::scenario, e.what());   // malformed or newer: one line naming the file
  }
}

namespace {

// The exception classes, created once at import.
struct Exceptions {
  py::object error, scenario, unsupported, run, busy;
};
Exceptions& exceptions() {
  static Exceptions* e = new Exceptions();   // never destroyed: lives as long as the interpreter
  return *e;
}

// Raises `cls(message)` with the exit code the CLI would return and, for scenario errors, the
// parts of the message as attributes.
void raise(const py::object& cls, const Error& e) {
  py::object exc = cls(e.what());
  exc.attr("exit_code") = int(e.code());
  if (const auto* s = dynamic_cast<const ScenarioError*>(&e)) {
    exc.attr("file") = s->file();
    exc.attr("line") = s->line();
    exc.attr("key") = s->key();
    exc.attr("reason") = s->reason();
  }
  PyErr_SetObject(cls.ptr(), exc.ptr());
}

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const ScenarioError& e) {
    raise(exceptions().scenario, e);
  } catch (const UnsupportedError& e) {
    raise(exceptions().unsupported, e);
  } catch (const Error& e) {
    if (e.code() == ExitCode::busy) raise(exceptions().busy, e);
    else if (e.code() == ExitCode::run_failure) raise(exceptions().run, e);
    else if (e.code() == ExitCode::scenario) raise(exceptions().scenario, e);
    else raise(exceptions().error, e);
  }
}

// A validated scenario and the overrides it was loaded with (the report records both).
struct Scenario {
  ScenarioSpec spec;
  std::vector<std::string> overrides;
};

Scenario load(const std::string& path, const std::vector<std::string>& set) {
  return {load_scenario(path, builtin_registries(), set), set};
}

// A dict goes through the same parser and validator as a file: it is written as TOML first.
// Its line numbers would be lines of that text, which the user never saw, so errors name the
// dict and the key only.
Scenario from_dict(const py::dict& d, const std::vector<std::string>& set, const std::string& name) {
  const std::string text = dict_to_toml(d, name);
  try {
    return {parse_scenario(text, name, builtin_registries(), set), set};
  } catch (const ScenarioError& e) {
    throw ScenarioError(name, 0, e.key(), e.reason());
  }
}

py::dict support_dict(const Support& s) {
  py::dict d;
  d["supported"] = s.ok;
  d["reason"] = s.reason;
  return d;
}

py::dict option_dict(const OptionSpec& o) {
  py::dict d;
  d["name"] = o.name;
  d["type"] = to_string(o.type);
  d["default"] = to_python(to_json(o.default_value));
  d["doc"] = o.doc;
  d["min"] = o.min ? py::object(py::float_(*o.min)) : py::object(py::none());
  d["max"] = o.max ? py::object(py::float_(*o.max)) : py::object(py::none());
  d["choices"] = o.choices;
  return d;
}

py::dict axis_dict(const AxisSpec& a) {
  py::dict d;
  d["name"] = a.name;
  d["type"] = to_string(a.type);
  d["default"] = to_python(to_json(a.default_value));
  d["unit"] = a.unit;
  d["doc"] = a.doc;
  d["min"] = a.min ? py::object(py::float_(*a.min)) : py::object(py::none());
  d["max"] = a.max ? py::object(py::float_(*a.max)) : py::object(py::none());
  d["choices"] = a.choices;
  return d;
}

py::dict metric_dict(const MetricSpec& m) {
  py::dict d;
  d["name"] = m.name;
  d["unit"] = m.unit;
  d["direction"] = to_string(m.direction);
  d["derivation"] = to_string(m.derivation);
  d["doc"] = m.doc;
  d["headline"] = m.headline;
  return d;
}

// One registry as `benchlab list` prints it: every entry, probed on this kernel.
template <class Registry>
py::list entries(const Registry& reg) {
  py::list out;
  for (const auto& e : reg.entries()) {
    Support s = e.probe();
    py::dict d = support_dict(s);
    d["name"] = e.name;
    d["summary"] = e.summary;
    d["description"] = e.description;
    d["traffic"] = e.traffic;
    d["baseline_of"] = e.baseline_of;
    py::list opts, axes, metrics;
    for (const auto& o : e.options) opts.append(option_dict(o));
    for (const auto& a : e.axes) axes.append(axis_dict(a));
    for (const auto& m : e.metrics) metrics.append(metric_dict(m));
    d["options"] = opts;
    d["axes"] = axes;
    d["metrics"] = metrics;
    out.append(d);
  }
  return out;
}

template <class Registry>
py::dict probes(const Registry& reg) {
  py::dict out;
  for (const auto& e : reg.entries()) out[py::str(e.name)] = support_dict(e.probe());
  return out;
}

void put_axes(py::dict& d, const Cell& c) {
  for (const AxisValue& a : c.axes()) d[py::str(a.name)] = to_python(to_json(a.value));
}

// One record per run, ready for pandas.DataFrame: the cell's axes, the datapath variant and its
// axes, status, and every figure the report's metric table derives for that run.
py::list run_records(const reports::Report& r) {
  py::list out;
  for (const reports::RunRecord& run : r.runs) {
    py::dict d;
    d["cell"] = run.cell.label();
    d["workload"] = run.cell.workload();
    put_axes(d, run.cell);
    d["datapath"] = run.datapath;
    d["variant"] = run.variant;
    for (const auto& [k, v] : run.variant_axes.all()) d[py::str(k)] = to_python(to_json(v));
    d["repetition"] = run.repetition;
    d["status"] = reports::to_string(run.status);
    d["error"] = run.error;
    for (const auto& [name, value] : reports::derive(r.metrics, run)) d[py::str(name)] = value;
    out.append(d);
  }
  return out;
}

// The summary in long form, one record per row and metric: what a plot or a pivot table wants.
py::list summary_records(const reports::Report& r) {
  py::list out;
  for (const reports::SummaryRow& row : r.summary) {
    const auto specs = reports::metrics_of(r.metrics, row.cell.workload(), row.datapath);
    for (const MetricSpec& m : specs) {
      auto it = row.metrics.find(m.name);
      if (it == row.metrics.end()) continue;
      const reports::MetricSummary& s = it->second;
      py::dict d;
      d["cell"] = row.cell_label;
      d["workload"] = row.cell.workload();
      put_axes(d, row.cell);
      d["datapath"] = row.datapath;
      d["variant"] = row.variant;
      d["kind"] = row.kind;
      d["baseline"] = row.baseline;
      d["ok_runs"] = row.ok_runs;
      d["failed_runs"] = row.failed_runs;
      d["skipped_runs"] = row.skipped_runs;
      d["metric"] = m.name;
      d["unit"] = m.unit;
      d["direction"] = to_string(m.direction);
      d["n"] = s.n;
      d["median"] = s.median;
      d["q1"] = s.q1;
      d["q3"] = s.q3;
      d["iqr"] = s.iqr;
      d["min"] = s.min;
      d["max"] = s.max;
      d["ratio_to_baseline"] = s.ratio_to_baseline ? py::object(py::float_(*s.ratio_to_baseline)) : py::object(py::none());
#ifdef BENCHLAB_PY_COMPARE   // the noise figures come with compare (reports/compare.hpp)
      d["cv_pct"] = s.cv_pct;
      d["ci_low"] = s.ci_low;
      d["ci_high"] = s.ci_high;
      d["noisy"] = s.noisy;
      d["p_vs_baseline"] = s.p_vs_baseline ? py::object(py::float_(*s.p_vs_baseline)) : py::object(py::none());
      d["significant"] = s.significant;
#endif
      out.append(d);
    }
  }
  return out;
}

// A Python exception caught on the runner's thread, held (GIL-free) until the run has torn down.
class PendingPyError {
 public:
  ~PendingPyError() {
    if (type_) {
      py::gil_scoped_acquire gil;
      Py_XDECREF(type_);
      Py_XDECREF(value_);
      Py_XDECREF(tb_);
    }
  }
  // With the GIL held and a Python error set: takes it (the first one wins).
  void take() {
    if (type_) {
      PyErr_Clear();
      return;
    }
    PyErr_Fetch(&type_, &value_, &tb_);
    PyErr_NormalizeException(&type_, &value_, &tb_);
  }
  bool pending() const { return type_ != nullptr; }
  bool is_keyboard_interrupt() const { return type_ && PyErr_GivenExceptionMatches(type_, PyExc_KeyboardInterrupt); }
  // With the GIL held: the exception object, so attributes can be attached before it is raised.
  py::object value() const { return py::reinterpret_borrow<py::object>(value_ ? value_ : type_); }
  // With the GIL held: sets it again as the current Python error (ownership passes back).
  [[noreturn]] void raise() {
    PyErr_Restore(type_, value_, tb_);
    type_ = value_ = tb_ = nullptr;
    throw py::error_already_set();
  }

 private:
  PyObject *type_ = nullptr, *value_ = nullptr, *tb_ = nullptr;
};

struct StopRun : std::runtime_error {
  using std::runtime_error::runtime_error;
};

py::dict progress_dict(const Progress& p) {
  py::dict d;
  d["cell"] = p.cell;
  d["cells"] = p.cells;
  d["repetition"] = p.repetition;
  d["repetitions"] = p.repetitions;
  d["datapath"] = p.datapath;
  d["cell_label"] = p.cell_label;
  d["elapsed_s"] = p.elapsed_s;
  d["estimated_s"] = p.estimated_s;
  return d;
}

// The CLI's run, driven from Python: the same runner, under the same machine-wide run lock. The
// GIL is released while it runs; before and after every run the runner calls back here, where
// pending signals are checked (Python's SIGINT handler only records a signal: the
// KeyboardInterrupt is raised by PyErr_CheckSignals). An exception there (Ctrl-C, or the progress
// callback raising) stops the runner before its next run, exactly as a signal stops the CLI:
// the current run tears down, the report so far is summarised (written to `out` if given) and
// the exception is raised again with the partial report as its `report` attribute.
reports::Report run(const Scenario& sc, const py::object& progress, const std::optional<std::string>& out, bool verbose) {
  bpf::set_libbpf_verbose(verbose);
  require_root("benchlab.run");
  const ScenarioSpec& spec = sc.spec;
  std::string path;
  if (out) {
    // Before any side effect: a run must not end by failing to write its report.
    std::error_code ec;
    std::filesystem::create_directories(*out, ec);
    if (ec || !std::filesystem::is_directory(*out))
      throw Error(ExitCode::usage, fmt::format("out {}: cannot create directory: {}", *out, ec ? ec.message() : "not a directory"));
    const std::string stem = (std::filesystem::absolute(*out) / (spec.name + "-" + local_timestamp())).string();
    path = stem + ".json";
    for (int i = 2; std::filesystem::exists(path); ++i) path = stem + "-" + std::to_string(i) + ".json";
  }
  RunLock lock;
  if (auto left = find_leftovers(); !left.empty())
    PyErr_WarnEx(PyExc_RuntimeWarning,
                 fmt::format("{} leftovers of an earlier run found ({}...); `benchlab cleanup` removes them",
                             left.size(), left.front()).c_str(), 1);

  PendingPyError pending;
  // With the GIL held: a signal that arrived, or an exception of the callback, stops the run.
  auto check = [&] {
    if (PyErr_CheckSignals() != 0) pending.take();
    if (pending.pending()) throw StopRun("stopped from Python: " + std::string(pending.is_keyboard_interrupt() ? "KeyboardInterrupt" : "exception"));
  };
  RunOptions ro;
  ro.verbose = verbose;
  ro.on_progress = [&](const Progress& p) {
    py::gil_scoped_acquire gil;
    check();
    if (!progress.is_none()) {
      try {
        progress(progress_dict(p));
      } catch (py::error_already_set& e) {
        e.restore();
        pending.take();
      }
    }
    check();
  };
  ro.on_run_done = [&](const reports::Report&) {
    py::gil_scoped_acquire gil;
    check();
  };
  reports::Report report;
  {
    py::gil_scoped_release nogil;
    report = run_scenario(spec, builtin_registries(), ro);
  }
  report.scenario = scenario_info(spec, sc.overrides);
  if (pending.is_keyboard_interrupt()) report.context["interrupted_by_signal"] = SIGINT;
  reports::summarize(report);
  if (out) reports::write_report(report, path);
  if (pending.pending()) {
    py::object exc = pending.value();
    try {
      exc.attr("report") = py::cast(report);
      if (out) exc.attr("report_path") = path;
    } catch (py::error_already_set&) {
      // An exception type that takes no attributes: raised as it is.
    }
    pending.raise();
  }
  return report;
}

reports::Report& summarise(reports::Report& r) {
  reports::summarize(r);
  return r;
}

}  // namespace
}  // namespace benchlab::python

PYBIND11_MODULE(benchlab, m) {
  using namespace benchlab;
  using namespace benchlab::python;
  m.doc() = "benchlab: measure what an eBPF datapath buys over the kernel stack (the C++ API the CLI uses)";
  m.attr("__version__") = BENCHLAB_VERSION;

  Exceptions& ex = exceptions();
  ex.error = py::reinterpret_steal<py::object>(
      PyErr_NewExceptionWithDoc("benchlab.Error", "Any benchlab error; exit_code is the CLI's exit code.", nullptr, nullptr));
  ex.scenario = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "benchlab.ScenarioError", "An invalid scenario (file, line, key, reason), or a malformed report.", ex.error.ptr(), nullptr));
  ex.unsupported = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "benchlab.UnsupportedError", "Missing privilege or kernel feature.", ex.error.ptr(), nullptr));
  ex.run = py::reinterpret_steal<py::object>(
      PyErr_NewExceptionWithDoc("benchlab.RunError", "A run that started and failed.", ex.error.ptr(), nullptr));
  ex.busy = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "benchlab.BusyError", "Another benchlab run is measuring on this machine.", ex.error.ptr(), nullptr));
  m.attr("Error") = ex.error;
  m.attr("ScenarioError") = ex.scenario;
  m.attr("UnsupportedError") = ex.unsupported;
  m.attr("RunError") = ex.run;
  m.attr("BusyError") = ex.busy;
  py::register_exception_translator(&translate);

  py::class_<reports::Report>(m, "Report", "A benchlab report: context, scenario, raw runs and their summary.")
      .def_readonly("schema_version", &reports::Report::schema_version)
      .def_readonly("created_utc", &reports::Report::created_utc)
      .def_readonly("wall_s", &reports::Report::wall_s)
      .def_property_readonly("context", [](const reports::Report& r) { return to_python(r.context); })
      .def_property_readonly("interrupted", [](const reports::Report& r) -> py::object {
            auto it = r.context.find("interrupted");
            return it == r.context.end() ? py::object(py::none()) : to_python(*it);
          }, "context.interrupted (reason, completed and planned runs) when the run stopped early, else None")
      .def("__len__", [](const reports::Report& r) { return r.runs.size(); }, "the number of runs")
      .def("to_dict", [](const reports::Report& r) { return to_python(reports::to_json(r)); },
           "the report as the JSON file holds it (schema in reports/README.md)")
      .def("records", &run_records, "one dict per run: cell axes, datapath variant, status and every derived figure")
      .def("summary", &summary_records, "the summary in long form: one dict per row and metric (median, IQR, ratio)")
      .def("summarise", &summarise, py::return_value_policy::reference_internal,
           "recompute the summary from the raw runs (as `benchlab report` does); returns the report")
      .def("table", &reports::console_table, "the console summary table `benchlab run` prints")
      .def("save", &reports::write_report, py::arg("path"), "write the report as JSON (atomically)")
      .def("__repr__", [](const reports::Report& r) {
        return fmt::format("<benchlab.Report {} runs={} summary_rows={} created={}>", r.scenario.name, r.runs.size(),
                           r.summary.size(), r.created_utc);
      });

  py::class_<Scenario>(m, "Scenario", "A scenario parsed and validated in full (nothing is created until run()).")
      .def_property_readonly("name", [](const Scenario& s) { return s.spec.name; })
      .def_property_readonly("file", [](const Scenario& s) { return s.spec.file; })
      .def_property_readonly("sha256", [](const Scenario& s) { return s.spec.sha256; })
      .def_property_readonly("duration_s", [](const Scenario& s) { return s.spec.duration_s; })
      .def_property_readonly("warmup_s", [](const Scenario& s) { return s.spec.warmup_s; })
      .def_property_readonly("repetitions", [](const Scenario& s) { return s.spec.repetitions; })
      .def_property_readonly("topology", [](const Scenario& s) { return s.spec.topology; })
      .def_property_readonly("datapaths", [](const Scenario& s) { return s.spec.datapaths; })
      .def_property_readonly("workloads", [](const Scenario& s) { return s.spec.workloads; })
      .def_property_readonly("overrides", [](const Scenario& s) { return s.overrides; })
      .def_property_readonly("cells", [](const Scenario& s) {
            std::vector<std::string> labels;
            for (const Cell& c : s.spec.cells()) labels.push_back(c.label());
            return labels;
          }, "the matrix cells' labels, in run order")
      .def_property_readonly("run_count", [](const Scenario& s) { return s.spec.run_count(); })
      .def_property_readonly("estimated_s", [](const Scenario& s) { return s.spec.estimated_seconds(); })
      .def_property_readonly("not_run", [](const Scenario& s) {
            py::list l;
            for (const NotRun& x : s.spec.not_run) {
              py::dict d;
              d["datapath"] = x.datapath;
              d["workload"] = x.workload;
              d["reason"] = x.reason;
              l.append(d);
            }
            return l;
          }, "datapaths that run in no cell of some workload, and why")
      .def("to_dict", [](const Scenario& s) {
            const reports::ScenarioInfo info = scenario_info(s.spec, s.overrides);
            reports::Report r;
            r.scenario = info;
            return to_python(reports::to_json(r)["scenario"]);
          }, "the scenario as a report records it")
      .def("run", &run, py::arg("progress") = py::none(), py::arg("out") = py::none(), py::arg("verbose") = false,
           R"doc(Run every cell (root; takes the machine-wide run lock) and return the Report.

progress: called with a dict (cell, cells, repetition, repetitions, datapath, cell_label,
elapsed_s, estimated_s) before each run. out: a directory to write the report to as well.
Ctrl-C stops before the next run: teardown, then the KeyboardInterrupt is raised again with the
partial report as its `report` attribute.)doc")
      .def("__repr__", [](const Scenario& s) {
        return fmt::format("<benchlab.Scenario {}: {} cells, {} runs, ~{:.0f} s>", s.spec.name, s.spec.cells().size(),
                           s.spec.run_count(), s.spec.estimated_seconds());
      });

  m.def("load_scenario", &load, py::arg("path"), py::arg("set") = std::vector<std::string>{},
        "Parse and validate a scenario file; `set` holds key=value overrides as --set takes them.");
  m.def("scenario_from_dict", &from_dict, py::arg("scenario"), py::arg("set") = std::vector<std::string>{},
        py::arg("name") = "scenario dict",
        "Build and validate a scenario from a dict with the keys of a scenario file (scenarios/README.md).");
  m.def("run", [](const Scenario& s, const py::object& progress, const std::optional<std::string>& out, bool verbose) {
          return run(s, progress, out, verbose);
        }, py::arg("scenario"), py::arg("progress") = py::none(), py::arg("out") = py::none(), py::arg("verbose") = false,
        "Scenario.run as a function.");
  m.def("read_report", &read_report_file, py::arg("path"),
        "Read a report file (version 1 upgraded in memory; newer ones refused).");
  m.def("summarise", [](const std::string& path) {
          reports::Report r = read_report_file(path);
          reports::summarize(r);
          return summary_records(r);
        }, py::arg("path"), "The summary of a report file, recomputed from its raw runs, in long form.");
  m.def("topologies", [] { return entries(builtin_registries().topologies); }, "every topology, probed here");
  m.def("datapaths", [] { return entries(builtin_registries().datapaths); }, "every datapath, probed here");
  m.def("workloads", [] { return entries(builtin_registries().workloads); }, "every workload, probed here");
  m.def("probe", [] {
          const Registries& reg = builtin_registries();
          py::dict d;
          d["topologies"] = probes(reg.topologies);
          d["datapaths"] = probes(reg.datapaths);
          d["workloads"] = probes(reg.workloads);
          return d;
        }, "What this kernel supports: {topologies|datapaths|workloads: {name: {supported, reason}}}.");
  m.def("environment", [] { return to_python(capture_environment()); },
        "The environment capture a report records (kernel, CPUs, sysctls, versions).");
#ifdef BENCHLAB_PY_COMPARE
  bind_compare(m);
#endif
  m.def("leftovers", &find_leftovers, "Names of namespaces, cgroups and pins left by runs that died.");
}
