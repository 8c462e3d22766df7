// The run journal: what is appended is read back exactly, a torn last line is ignored, a full
// disk costs only the run in flight, and recovery writes a report that says it is incomplete.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "benchlab/reports/journal.hpp"
#include "fixtures.hpp"

namespace benchlab::reports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::error_of;

std::string slurp(const fs::path& path) { return testing::slurp(path.string()); }

size_t lines_of(const fs::path& path) {
  const std::string s = slurp(path);
  return size_t(std::count(s.begin(), s.end(), '\n'));
}

class JournalTest : public testing::TempDir {
 protected:
  void SetUp() override {
    TempDir::SetUp();
    path_ = (dir_ / "scn-20240101-000000.journal").string();
  }

  // A journal holding the first `n` runs of `r`.
  void write(const Report& r, size_t n, size_t planned) {
    Journal j(path_, r, planned);
    for (size_t i = 0; i < n; ++i) j.append(r.runs[i]);
    EXPECT_EQ(j.runs(), n);
  }

  std::string path_;
};

TEST_F(JournalTest, RunsReadBackFieldByField) {
  const Report r = testing::example_report();
  ASSERT_GE(r.runs.size(), 4u);
  write(r, r.runs.size(), r.runs.size() + 5);
  EXPECT_EQ(lines_of(path_), 1 + r.runs.size()) << "a header line, then one line per run";

  JournalContents c = read_journal(path_);
  EXPECT_FALSE(c.torn_tail);
  EXPECT_EQ(c.planned_runs, r.runs.size() + 5);
  summarize(c.report);
  testing::expect_same(r, c.report);
}

TEST_F(JournalTest, TornLastLineIsIgnored) {
  const Report r = testing::example_report();
  write(r, 3, r.runs.size());
  // What a SIGKILL in the middle of the fourth append leaves: part of a line, no newline.
  const std::string fourth = run_to_json(r.runs[3], r.metrics).dump() + "\n";
  std::ofstream(path_, std::ios::app) << fourth.substr(0, fourth.size() / 2);

  const JournalContents c = read_journal(path_);
  EXPECT_TRUE(c.torn_tail);
  ASSERT_EQ(c.report.runs.size(), 3u);
  EXPECT_EQ(run_to_json(c.report.runs[2], r.metrics), run_to_json(r.runs[2], r.metrics));
}

TEST_F(JournalTest, BadCompleteLineIsAnErrorNamingFileAndLine) {
  const Report r = testing::example_report();
  write(r, 2, 4);
  std::ofstream(path_, std::ios::app) << "{\"cell\": 1}\n";
  EXPECT_EQ(error_of([&] { read_journal(path_); }),
            path_ + ":4: malformed run: cell: expected an object, found number 1");

  std::ofstream(path_, std::ios::trunc) << "not json\n";
  const std::string e = error_of([&] { read_journal(path_); });
  EXPECT_EQ(e.rfind(path_ + ":1: not a journal line: parse error", 0), 0u) << e;

  std::ofstream(path_, std::ios::trunc) << "{\"benchlab_journal\": 2, \"planned_runs\": 1, \"report\": {}}\n";
  EXPECT_EQ(error_of([&] { read_journal(path_); }),
            path_ + ": journal version 2 is newer than this benchlab understands (1)");

  EXPECT_EQ(error_of([&] { read_journal((dir_ / "none.journal").string()); }),
            (dir_ / "none.journal").string() + ": cannot open journal: No such file or directory");
}

TEST_F(JournalTest, NoCompleteHeaderIsEmpty) {
  std::ofstream(path_) << "";
  EXPECT_THROW(read_journal(path_), EmptyJournal);
  std::ofstream(path_) << "{\"benchlab_journal\": 1, \"planned";   // killed writing the header
  EXPECT_THROW(read_journal(path_), EmptyJournal);
}

TEST_F(JournalTest, RefusesToOverwriteAnExistingFile) {
  std::ofstream(path_) << "someone else's\n";
  try {
    Journal j(path_, testing::full_report(), 2);
    ADD_FAILURE() << "no exception";
  } catch (const JournalError& e) {
    EXPECT_EQ(e.err(), EEXIST);
    EXPECT_EQ(std::string(e.what()), path_ + ": cannot create the journal: File exists");
  }
  EXPECT_EQ(slurp(path_), "someone else's\n");
}

// The process may write only `bytes` more to any file: what a full disk does to the next
// append (EFBIG rather than ENOSPC, through the same write path). Restored on destruction.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &old_);
    old_sig_ = signal(SIGXFSZ, SIG_IGN);   // else the kernel kills the writer
    rlimit lim = old_;
    lim.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    signal(SIGXFSZ, old_sig_);
  }

 private:
  rlimit old_{};
  sighandler_t old_sig_;
};

TEST_F(JournalTest, FullDiskKeepsTheRunsBeforeIt) {
  const Report r = testing::example_report();
  Journal j(path_, r, r.runs.size());
  j.append(r.runs[0]);
  j.append(r.runs[1]);
  const auto size = fs::file_size(path_);
  try {
    FileSizeLimit limit(size + 100);   // less than one run line
    j.append(r.runs[2]);
    ADD_FAILURE() << "no exception";
  } catch (const JournalError& e) {
    EXPECT_EQ(e.err(), EFBIG);
    EXPECT_EQ(std::string(e.what()), path_ + ": cannot append run 3 to the journal: File too large");
  }
  EXPECT_EQ(j.runs(), 2u);
  EXPECT_EQ(fs::file_size(path_), size) << "the partial line is cut off again";
  const JournalContents c = read_journal(path_);
  EXPECT_FALSE(c.torn_tail);
  EXPECT_EQ(c.report.runs.size(), 2u);
}

TEST_F(JournalTest, HeaderFailureLeavesNothing) {
  FileSizeLimit limit(64);   // the header line is larger
  EXPECT_THROW(Journal(path_, testing::example_report(), 3), JournalError);
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(JournalTest, RecoveryWritesAnInterruptedReport) {
  const Report r = testing::example_report();
  write(r, 3, r.runs.size());
  std::ofstream(path_, std::ios::app) << "{\"cell\": {\"lab";   // torn

  const RecoveredReport rec = recover_report(path_);
  EXPECT_EQ(rec.report_path, (dir_ / "scn-20240101-000000.json").string());
  EXPECT_EQ(rec.runs, 3u);
  EXPECT_EQ(rec.planned_runs, r.runs.size());
  EXPECT_TRUE(rec.torn_tail);
  EXPECT_TRUE(fs::exists(path_)) << "the journal is kept";

  const Report back = read_report(rec.report_path);
  ASSERT_EQ(back.runs.size(), 3u);
  const json& in = back.context.at("interrupted");
  EXPECT_EQ(in.at("completed_runs"), 3);
  EXPECT_EQ(in.at("planned_runs"), r.runs.size());
  EXPECT_EQ(in.at("journal"), path_);
  EXPECT_TRUE(in.at("torn_tail").get<bool>());
  EXPECT_EQ(back.scenario.name, r.scenario.name);
  EXPECT_EQ(back.created_utc, r.created_utc);
  EXPECT_FALSE(back.summary.empty());
  const std::string table = console_table(back);
  EXPECT_NE(table.find("INTERRUPTED: "), std::string::npos) << table;
  EXPECT_NE(table.find("(3 of " + std::to_string(r.runs.size()) + " runs completed)"), std::string::npos) << table;

  // Recovering again (cleanup, then the user) rewrites the same report.
  EXPECT_EQ(recover_report(path_).report_path, rec.report_path);
  EXPECT_EQ(read_report(rec.report_path).runs.size(), 3u);
}

TEST_F(JournalTest, RecoveryNeverOverwritesAnotherReport) {
  const Report r = testing::example_report();
  // The run finished its report but died before removing its journal.
  write_report(r, (dir_ / "scn-20240101-000000.json").string());
  write(r, 2, r.runs.size());
  EXPECT_EQ(recover_report(path_).report_path, (dir_ / "scn-20240101-000000-recovered.json").string());
  EXPECT_EQ(read_report((dir_ / "scn-20240101-000000.json").string()).runs.size(), r.runs.size());
  fs::remove(path_);
  write(r, 1, 2);   // another journal of the same name
  std::ofstream((dir_ / "scn-20240101-000000-recovered.json").string(), std::ios::trunc) << "not a report";
  EXPECT_EQ(recover_report(path_).report_path, (dir_ / "scn-20240101-000000-recovered-2.json").string());
}

// write_report: a failed write leaves neither a temporary file nor a changed target.
TEST_F(JournalTest, FailedReportWriteLeavesNoTemporaryFile) {
  const std::string path = (dir_ / "report.json").string();
  Report r = testing::example_report();
  write_report(testing::full_report(), path);
  const std::string before = slurp(path);
  {
    FileSizeLimit limit(4096);
    EXPECT_NE(error_of([&] { write_report(r, path); }).find("File too large"), std::string::npos);
  }
  EXPECT_EQ(slurp(path), before);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) ++files, (void)e;
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace benchlab::reports
