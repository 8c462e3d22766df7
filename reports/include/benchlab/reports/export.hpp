// Exports of a report for tools that do not read benchlab's JSON: a long-format CSV for
// spreadsheets and pandas, and Google-Benchmark JSON of the time-like metrics for
// google/benchmark's tools (compare.py). Both are computed from the raw runs, like the summary.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "benchlab/reports/report.hpp"

namespace benchlab::reports {

// One line per cell x datapath variant x repetition x metric of that run's row, after a header:
//   cell,workload,<every axis of the report's cells>,datapath,variant,repetition,status,metric,unit,value
// RFC 4180 quoting, "\n" line ends. `value` is the derived figure (empty for a skipped run, whose
// figures mean nothing; a failed run keeps its figures and says `failed`).
std::string to_csv(const Report& r);
// Header plus sum over runs of metrics_of(run's workload, run's datapath).size().
size_t csv_rows(const Report& r);

// Google-Benchmark JSON: {"context": {...}, "benchmarks": [...]}, one "iteration" entry per ok
// run and time-like metric, plus a "median" aggregate per benchmark. Time-like: a lower-is-better
// metric in s, ms, µs or ns (latency percentiles, CPU time per transaction: exported in its own
// unit), and a rate of a sample field in 1/s (transactions_per_s, pps...: exported as
// ns_per_<unit of work>, 1e9 / rate). Benchmark names: <cell label>/<variant>/<metric>.
nlohmann::json to_gbench_json(const Report& r);

}  // namespace benchlab::reports
