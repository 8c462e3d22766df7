// The journal of a run in progress: beside the report, one JSON document per line, each line
// written whole and fsynced as its run completes, so SIGKILL, a crash or a full disk loses at
// most the run in flight. From it the report of an interrupted run is rebuilt.
//
//   line 1   {"benchlab_journal": 1, "planned_runs": N, "report": <the report without runs>}
//   line 2.. one run each, exactly as in the report's "runs" array (run_to_json)
//
// A last line without its newline is a write cut short (the process was killed or the disk was
// full mid-line); readers ignore it. Anything else that does not parse is an error naming the
// file and line.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "benchlab/reports/report.hpp"

namespace benchlab::reports {

inline constexpr int kJournalVersion = 1;

// A journal could not be written: "<path>: <what>: <strerror>". err is the errno (ENOSPC…).
class JournalError : public std::runtime_error {
 public:
  JournalError(const std::string& msg, int err) : std::runtime_error(msg), err_(err) {}
  int err() const { return err_; }

 private:
  int err_;
};

// The journal has no complete header line: the run was stopped before its first run completed
// (or the file is empty), so there is nothing to recover.
class EmptyJournal : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Journal {
 public:
  // Creates `path` (which must not exist) and writes the header line from everything `header`
  // holds but its runs and summary. On failure nothing is left behind. Throws JournalError.
  Journal(std::string path, const Report& header, size_t planned_runs);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends one run as one line and fsyncs it. On failure the partial line is cut off again
  // (best effort; a reader ignores it anyway) and JournalError is thrown; earlier lines stay.
  void append(const RunRecord& run);

  const std::string& path() const { return path_; }
  size_t runs() const { return runs_; }

 private:
  void write_line(const std::string& line, const std::string& what);

  std::string path_;
  MetricTable metrics_;   // the header's: the derived figures each run line carries
  int fd_ = -1;
  off_t size_ = 0;   // bytes of whole lines written so far
  size_t runs_ = 0;
};

struct JournalContents {
  Report report;             // header fields plus every complete run, summary not yet computed
  size_t planned_runs = 0;
  bool torn_tail = false;    // a last line cut short was ignored
};

// Throws std::runtime_error naming the file (and line) when it cannot be read or a complete line
// is not what the writer writes; EmptyJournal when it holds no complete header line.
JournalContents read_journal(const std::string& path);

struct RecoveredReport {
  std::string report_path;
  size_t runs = 0, planned_runs = 0;
  bool torn_tail = false;
};

// The report of an interrupted run, from its journal: context.interrupted says so (reason,
// completed_runs, planned_runs, journal, torn_tail), wall_s runs from the first run's start to
// the last append. Written beside the journal as <stem>.json; if a file of that name exists and
// is not a report recovered from this journal (a complete report, say), as
// <stem>-recovered[-N].json instead. The journal is kept, so recovering again rewrites the same
// report. Throws std::runtime_error naming the file.
RecoveredReport recover_report(const std::string& journal_path);
// The same, from contents already read (so a caller can tell read errors from write errors).
RecoveredReport write_recovered_report(const std::string& journal_path, JournalContents contents);

}  // namespace benchlab::reports
