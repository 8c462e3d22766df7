// What `benchlab report` and `benchlab run` write besides the JSON report: the CSV and
// Google-Benchmark exports (reports/export.hpp), and the figures and the HTML page, which
// reports/plot.py and reports/html_report.py draw with matplotlib on Debian's /usr/bin/python3.
#pragma once

#include <string>
#include <vector>

#include "benchlab/reports/report.hpp"

namespace benchlab {

struct ReportOutputs {
  std::string csv, gbench_json, html;   // "" = not wanted; "-" = standard output (csv, gbench)
  std::string plot_stem;                // figures as <stem>-<figure>.png/.svg; "" = none
};

// Writes every wanted output of a report (as read: upgraded, re-summarised). Errors:
// Error(run_failure) with one line naming the output and the reason (an unwritable path, no
// Python with matplotlib); the outputs already written stay.
void write_report_outputs(const reports::Report& r, const ReportOutputs& out);

// The interpreter and the directory of plot.py and html_report.py: $BENCHLAB_PYTHON (default
// /usr/bin/python3, Debian's, where python3-matplotlib lands) and $BENCHLAB_REPORTS_DIR
// (default the source tree's reports/).
std::string python_interpreter();
std::string reports_script_dir();

}  // namespace benchlab
