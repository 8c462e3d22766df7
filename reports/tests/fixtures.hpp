// Hand-built records for the reports tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "benchlab/reports/report.hpp"

namespace benchlab::reports::testing {

// A socket workload's cell, as the validator makes it (workloads::socket_cell).
Cell make_cell(const std::string& workload, int64_t message_size, CpuPlacement p = CpuPlacement::cross_core,
               int64_t flows = 1);

// The metric table of the real socket workloads (tcp_stream, tcp_rr, tcp_crr) as their registry
// entries declare it, the BPF datapaths' own metrics, and kernel as the stream baseline.
MetricTable socket_metric_table();

// An ok run with one warm-up sample (which must not count) and one measured second carrying
// `throughput_bps`.
RunRecord run_with_throughput(const Cell& c, const std::string& datapath, int rep, double throughput_bps);

// A report with every field set to something other than its default.
Report full_report();

// The checked-in example (tests/data/example_report.json): two stream cells and one
// request/response cell, kernel vs sockmap, three repetitions, one failed engagement and skipped
// XDP runs. Deterministic.
Report example_report();

// A file's bytes ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The message of the std::runtime_error `f` throws; fails the test if it throws nothing.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return {};
}

// A fresh temporary directory per test, removed afterwards.
class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "benchlab-reports-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// Field-by-field equality with gtest failures naming the field.
void expect_same(const Report& a, const Report& b);

}  // namespace benchlab::reports::testing
