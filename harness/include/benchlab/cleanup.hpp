// Leftovers of runs that did not tear down (SIGKILL, a crash), found by benchlab's own naming
// ("bl-" + a 6-hex run id) and the run records under /run/benchlab/runs: a resource whose run
// is still alive (its recorded pid exists) is never touched.
#pragma once

#include <string>
#include <vector>

#include "benchlab/core/system_paths.hpp"

namespace benchlab {

inline constexpr const char* kRunStateDir = "/run/benchlab/runs";

// Records that run `run_base` (6 hex chars) belongs to this process; removed by the destructor.
// The file holds the pid on its first line and, when there is one, the path of the run's
// journal on the second (scripts read the pid with `head -n1`).
class RunRecordFile {
 public:
  RunRecordFile(const std::string& run_base, const std::string& journal_path);
  ~RunRecordFile();
  RunRecordFile(const RunRecordFile&) = delete;
  RunRecordFile& operator=(const RunRecordFile&) = delete;

 private:
  std::string path_;
};

// Held for the whole of `benchlab run`: two runs measuring at once on the same CPUs would
// disturb each other's numbers, so the second one refuses (ExitCode::busy) instead.
class RunLock {
 public:
  RunLock();    // throws Error(ExitCode::busy) naming the other run's pid
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

struct CleanupReport {
  std::vector<std::string> removed;
  std::vector<std::string> recovered;   // reports rebuilt from dead runs' journals
  std::vector<std::string> errors;
};

// Names of leftover namespaces, cgroups and pins whose run is no longer alive.
std::vector<std::string> find_leftovers();
// Removes those, and writes the report of every dead run that left a journal
// (reports::recover_report) before dropping its run record.
CleanupReport cleanup_leftovers();

}  // namespace benchlab
