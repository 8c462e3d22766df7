// The run journal: append-only JSON lines, one fsync per completed run. The layout is in
// journal.hpp and reports/README.md; the run objects are the report's own (run_to_json), so the
// journal and the report cannot drift apart.
#include "benchlab/reports/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

namespace benchlab::reports {
namespace {

using json = nlohmann::json;

// One line, whatever the strings hold: an error message with invalid UTF-8 must not cost a run.
std::string one_line(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string strip_json_prefix(const char* what) {
  std::string s = what;   // "[json.exception.parse_error.101] parse error at ..." -> "parse error at ..."
  if (s.rfind("[json.exception.", 0) == 0)
    if (auto p = s.find("] "); p != std::string::npos) s = s.substr(p + 2);
  return s;
}

// Makes a new or removed directory entry durable, not only the file's bytes.
void fsync_dir_of(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  if (const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Journal::Journal(std::string path, const Report& header, size_t planned_runs)
    : path_(std::move(path)), metrics_(header.metrics) {
  Report h = header;
  h.runs.clear();
  h.summary.clear();
  const json line = {{"benchlab_journal", kJournalVersion}, {"planned_runs", planned_runs}, {"report", to_json(h)}};
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int err = errno;
    throw JournalError(fmt::format("{}: cannot create the journal: {}", path_, std::strerror(err)), err);
  }
  try {
    write_line(one_line(line), "cannot write the journal header");
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
    throw;
  }
  fsync_dir_of(path_);
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::append(const RunRecord& run) {
  write_line(one_line(run_to_json(run, metrics_)), fmt::format("cannot append run {} to the journal", runs_ + 1));
  ++runs_;
}

void Journal::write_line(const std::string& line, const std::string& what) {
  const std::string buf = line + '\n';
  auto fail = [&](int err) {
    // Cut a partial line off again, so the file ends on a whole line; if that fails too, the
    // reader still ignores a last line without its newline.
    (void)!::ftruncate(fd_, size_);
    throw JournalError(fmt::format("{}: {}: {}", path_, what, std::strerror(err)), err);
  };
  size_t off = 0;
  while (off < buf.size()) {
    const ssize_t n = ::write(fd_, buf.data() + off, buf.size() - off);
    if (n < 0 && errno == EINTR) continue;   // SIGINT's handler does not restart calls
    if (n < 0) fail(errno);
    if (n == 0) fail(EIO);
    off += size_t(n);
  }
  if (::fsync(fd_) != 0) fail(errno);
  size_ += off_t(buf.size());
}

JournalContents read_journal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open journal: {}", path, std::strerror(errno)));
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();

  JournalContents c;
  size_t pos = 0, line_no = 0;
  bool have_header = false;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {   // a write cut short: not an error, and not a run
      c.torn_tail = true;
      break;
    }
    const std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      throw std::runtime_error(fmt::format("{}:{}: not a journal line: {}", path, line_no, strip_json_prefix(e.what())));
    }
    if (!have_header) {
      if (!j.is_object() || !j.contains("benchlab_journal") || !j["benchlab_journal"].is_number_integer())
        throw std::runtime_error(fmt::format("{}:1: not a benchlab journal (no \"benchlab_journal\" version)", path));
      const int version = j["benchlab_journal"].get<int>();
      if (version > kJournalVersion)
        throw std::runtime_error(fmt::format("{}: journal version {} is newer than this benchlab understands ({})", path,
                                             version, kJournalVersion));
      if (!j.contains("planned_runs") || !j["planned_runs"].is_number_unsigned())
        throw std::runtime_error(fmt::format("{}:1: planned_runs: expected a non-negative integer", path));
      c.planned_runs = j["planned_runs"].get<size_t>();
      if (!j.contains("report"))
        throw std::runtime_error(fmt::format("{}:1: missing key \"report\"", path));
      try {
        c.report = from_json(j["report"]);
      } catch (const std::runtime_error& e) {
        throw std::runtime_error(fmt::format("{}:1: {}", path, e.what()));
      }
      c.report.runs.clear();
      c.report.summary.clear();
      have_header = true;
      continue;
    }
    try {
      c.report.runs.push_back(run_from_json(j));
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(fmt::format("{}:{}: {}", path, line_no, e.what()));
    }
  }
  if (!have_header)
    throw EmptyJournal(fmt::format("{}: no complete header line: the run stopped before its first run completed, "
                                   "nothing to recover", path));
  return c;
}

RecoveredReport write_recovered_report(const std::string& journal_path, JournalContents contents) {
  namespace fs = std::filesystem;
  // Absolute, so the report names its journal the same way whoever recovers it (cleanup reads
  // an absolute path from the run record, a user may type a relative one).
  const std::string journal = fs::absolute(journal_path).lexically_normal().string();
  Report& r = contents.report;
  r.context["interrupted"] = {
      {"reason", "the run stopped before it finished (killed, crashed or out of disk space); recovered from its journal"},
      {"completed_runs", r.runs.size()},
      {"planned_runs", contents.planned_runs},
      {"journal", journal},
      {"torn_tail", contents.torn_tail}};
  // The journal's last write is the last thing the run finished.
  if (struct stat st{}; !r.runs.empty() && ::stat(journal_path.c_str(), &st) == 0) {
    const double last = double(st.st_mtim.tv_sec) + double(st.st_mtim.tv_nsec) * 1e-9;
    r.wall_s = std::max(0.0, last - r.runs.front().started_unix_s);
  }
  summarize(r);

  // <stem>.json, unless something else already has that name: a report recovered from this
  // same journal is rewritten (recovering twice gives one report), any other file is kept.
  auto recovered_from_here = [&](const std::string& path) {
    try {
      const Report old = read_report(path);
      const auto it = old.context.find("interrupted");
      return it != old.context.end() && it->is_object() && it->value("journal", json()) == journal;
    } catch (const std::exception&) {
      return false;
    }
  };
  std::string stem = journal_path;
  if (constexpr std::string_view ext = ".journal"; stem.size() > ext.size() && stem.ends_with(ext))
    stem.resize(stem.size() - ext.size());
  std::string path = stem + ".json";
  for (int i = 1; fs::exists(path) && !recovered_from_here(path); ++i)
    path = stem + (i == 1 ? std::string("-recovered") : fmt::format("-recovered-{}", i)) + ".json";
  write_report(r, path);
  // The journal stays: it is the raw record, and recovering again is harmless.
  return {path, r.runs.size(), contents.planned_runs, contents.torn_tail};
}

RecoveredReport recover_report(const std::string& journal_path) {
  return write_recovered_report(journal_path, read_journal(journal_path));
}

}  // namespace benchlab::reports
