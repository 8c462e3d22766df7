// What the module's source files share.
#pragma once

#include <string>

#include <pybind11/pybind11.h>

#include "benchlab/reports/report.hpp"

namespace benchlab::python {

// reports::read_report, with a malformed or newer file as a ScenarioError (the CLI's exit 3).
reports::Report read_report_file(const std::string& path);

#ifdef BENCHLAB_PY_COMPARE
// compare() and gate() over reports/compare.hpp (compare.cpp).
void bind_compare(pybind11::module_& m);
#endif

}  // namespace benchlab::python
