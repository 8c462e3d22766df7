// compare and gate: reports::compare_reports and reports::gate (reports/compare.hpp), the
// functions `benchlab compare` and `benchlab gate` call, with their results as Python objects.
#include <cmath>
#include <filesystem>
#include <string>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "benchlab/core/error.hpp"
#include "benchlab/reports/compare.hpp"
#include "bindings.hpp"
#include "convert.hpp"

namespace py = pybind11;

namespace benchlab::python {
namespace {

// A report given as a Report or as the path of a report file.
reports::Report report_of(const py::object& o) {
  if (py::isinstance<reports::Report>(o)) return o.cast<reports::Report>();
  if (py::isinstance<py::str>(o)) return read_report_file(o.cast<std::string>());
  throw py::type_error("expected a benchlab.Report or the path of a report file, not " +
                       std::string(py::str(py::type::handle_of(o).attr("__name__"))));
}

// What the renderers call a side: the file's name, as `benchlab compare` does.
std::string label_of(const py::object& o, const char* fallback) {
  return py::isinstance<py::str>(o) ? std::filesystem::path(o.cast<std::string>()).filename().string()
                                    : std::string(fallback);
}

template <class T>
T parse_or_throw(const std::string& s, bool (*parse)(const std::string&, T*), const char* what) {
  T v{};
  if (!parse(s, &v)) throw py::value_error(std::string("unknown ") + what + " '" + s + "'");
  return v;
}

py::object nan_to_none(double v) { return std::isnan(v) ? py::object(py::none()) : py::object(py::float_(v)); }

// One record per row x metric, ready for pandas.
py::list comparison_records(const reports::CompareResult& c) {
  py::list out;
  for (const reports::RowComparison& row : c.rows) {
    for (const reports::MetricComparison& m : row.metrics) {
      py::dict d;
      d["cell"] = row.key.cell_label;
      d["datapath"] = row.key.datapath;
      d["variant"] = row.key.variant;
      d["workload"] = row.workload;
      d["kind"] = row.kind;
      d["baseline"] = row.baseline;
      d["metric"] = m.metric;
      d["unit"] = m.unit;
      d["direction"] = to_string(m.direction);
      d["n_base"] = m.n_base;
      d["n_next"] = m.n_next;
      d["base_median"] = m.base_median;
      d["next_median"] = m.next_median;
      d["ratio"] = m.ratio;
      d["shift_pct"] = m.shift_pct;
      d["shift_ci_low_pct"] = nan_to_none(m.shift_ci_low_pct);
      d["shift_ci_high_pct"] = nan_to_none(m.shift_ci_high_pct);
      d["p"] = m.p;
      d["p_adjusted"] = m.p_adjusted;
      d["threshold_pct"] = m.threshold_pct;
      d["base_noisy"] = m.base_noisy;
      d["next_noisy"] = m.next_noisy;
      d["verdict"] = reports::to_string(m.verdict);
      d["note"] = m.note;
      out.append(d);
    }
  }
  return out;
}

reports::CompareResult compare(const py::object& base, const py::object& next, double alpha,
                               const std::string& correction, const std::string& mode, double threshold_pct,
                               const std::map<std::string, double>& thresholds_pct,
                               const std::vector<std::string>& metrics, const std::optional<double>& noise_limit_pct) {
  reports::CompareOptions o;
  o.alpha = alpha;
  o.correction = parse_or_throw<reports::Correction>(correction, &reports::parse_correction, "correction");
  o.mode = parse_or_throw<reports::CompareMode>(mode, &reports::parse_compare_mode, "mode");
  o.threshold_pct = threshold_pct;
  o.thresholds_pct = thresholds_pct;
  o.metrics = metrics;
  if (noise_limit_pct) o.noise_limit_pct = *noise_limit_pct;
  const reports::Report b = report_of(base), n = report_of(next);
  reports::CompareResult c;
  {
    py::gil_scoped_release nogil;
    c = reports::compare_reports(b, n, o);
  }
  c.base_label = label_of(base, "base");
  c.next_label = label_of(next, "next");
  return c;
}

reports::GateResult gate(const py::object& base, const py::object& next) {
  const reports::Report b = report_of(base), n = report_of(next);
  reports::GateSpec spec;
  try {
    spec = reports::gate_spec_of(n);
  } catch (const std::exception& e) {
    const std::string where = py::isinstance<py::str>(next) ? next.cast<std::string>() : std::string("next");
    throw Error(ExitCode::scenario, where + ": " + e.what());
  }
  reports::GateResult g = reports::gate(b, n, spec);
  g.comparison.base_label = label_of(base, "base");
  g.comparison.next_label = label_of(next, "next");
  return g;
}

}  // namespace

void bind_compare(py::module_& m) {
  py::class_<reports::CompareResult>(m, "Comparison", "Two reports compared row by row and metric by metric.")
      .def("records", &comparison_records, "one dict per row and metric: medians, shift and CI, p, verdict")
      .def("to_dict", [](const reports::CompareResult& c) { return to_python(reports::to_json(c)); })
      .def("table", &reports::compare_console, "the console table `benchlab compare` prints")
      .def("markdown", &reports::compare_markdown)
      .def("count", [](const reports::CompareResult& c, const std::string& verdict) {
            for (auto v : {reports::Verdict::no_change, reports::Verdict::better, reports::Verdict::worse,
                           reports::Verdict::changed, reports::Verdict::cannot_judge})
              if (reports::to_string(v) == verdict) return c.count(v);
            throw py::value_error("unknown verdict '" + verdict + "'");
          }, py::arg("verdict"), "how many row x metric comparisons have this verdict ('worse', 'better', ...)")
      .def_readonly("warnings", &reports::CompareResult::warnings);
  m.def("compare", &compare, py::arg("base"), py::arg("next"), py::arg("alpha") = 0.05,
        py::arg("correction") = "bh", py::arg("mode") = "absolute", py::arg("threshold_pct") = 5.0,
        py::arg("thresholds_pct") = std::map<std::string, double>{}, py::arg("metrics") = std::vector<std::string>{},
        py::arg("noise_limit_pct") = py::none(),
        "Compare two reports (Report objects or report files), as `benchlab compare` does.");

  py::class_<reports::GateResult>(m, "GateResult", "The regression gate's verdict on NEXT against BASE.")
      .def_property_readonly("status", [](const reports::GateResult& g) {
            switch (g.status) {
              case reports::GateStatus::pass: return "pass";
              case reports::GateStatus::regression: return "regression";
              case reports::GateStatus::cannot_judge: return "cannot judge";
            }
            return "cannot judge";
          })
      .def_property_readonly("exit_code", [](const reports::GateResult& g) { return int(g.status); })
      .def_readonly("reasons", &reports::GateResult::reasons)
      .def_property_readonly("comparison", [](const reports::GateResult& g) { return g.comparison; })
      .def("cases", [](const reports::GateResult& g) {
            py::list out;
            for (const reports::GateCase& c : g.cases) {
              py::dict d;
              d["cell"] = c.key.cell_label;
              d["datapath"] = c.key.datapath;
              d["variant"] = c.key.variant;
              d["metric"] = c.metric;
              d["status"] = int(c.status);
              d["limit_pct"] = c.limit_pct;
              d["message"] = c.message;
              out.append(d);
            }
            return out;
          })
      .def("table", &reports::gate_console)
      .def("junit_xml", &reports::junit_xml, py::arg("suite_name"));
  m.def("gate", &gate, py::arg("base"), py::arg("next"),
        "The regression gate of `benchlab gate`: NEXT's [gates] table (or the defaults) against BASE.");
}

}  // namespace benchlab::python
