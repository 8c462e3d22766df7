#include "benchlab/report_outputs.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "benchlab/core/error.hpp"
#include "benchlab/reports/export.hpp"

extern char** environ;

namespace benchlab {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& why) {
  throw Error(ExitCode::run_failure, fmt::format("{}: {}", what, why));
}

// Written whole or not at all: a temporary file beside the target, renamed over it.
void write_file(const std::string& option, const std::string& path, const std::string& text) {
  if (path == "-") {
    fmt::print("{}", text);
    std::fflush(stdout);
    return;
  }
  const std::string tmp = fmt::format("{}.tmp.{}", path, getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail(option + " " + path, std::string("cannot write: ") + std::strerror(errno));
    f << text;
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      fail(option + " " + path, "cannot write: write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    fail(option + " " + path, std::string("cannot write: ") + std::strerror(err));
  }
}

// Runs python_interpreter() on a script of reports/ with its stdout passed through (the paths it
// wrote) and its stderr too (its one-line error). Throws on a failure to start or a non-zero exit.
void run_script(const std::string& option, const std::string& script, const std::vector<std::string>& args) {
  const std::string py = python_interpreter();
  const std::string path = reports_script_dir() + "/" + script;
  if (::access(py.c_str(), X_OK) != 0)
    fail(option, fmt::format("needs {} with matplotlib (Debian: apt-get install python3-matplotlib): {}", py,
                             std::strerror(errno)));
  if (::access(path.c_str(), R_OK) != 0) fail(option, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::vector<std::string> argv_s = {py, path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  // Its stderr comes back through a pipe: its one-line error becomes ours, so the user reads one line.
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail(option, std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, py.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(err_pipe[0]);
    fail(option, fmt::format("cannot start {}: {}", py, std::strerror(rc)));
  }
  std::string err;
  char buf[4096];
  for (ssize_t n; (n = ::read(err_pipe[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    err.append(buf, size_t(n));
  }
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (!err.empty()) fmt::print(stderr, "{}", err);   // warnings, if any
    return;
  }
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  const std::string last = err.substr(err.rfind('\n') == std::string::npos ? 0 : err.rfind('\n') + 1);
  if (!last.empty() && WIFEXITED(status)) fail(option, last);
  fail(option, WIFEXITED(status) ? fmt::format("{} {} failed (exit {})", py, script, WEXITSTATUS(status))
                                 : fmt::format("{} {} killed by signal {}", py, script, WTERMSIG(status)));
}

// The report as benchlab reads it (upgraded, summary recomputed), for the Python scripts.
class TempReport {
 public:
  explicit TempReport(const reports::Report& r) {
    char tmpl[] = "/tmp/benchlab-report-XXXXXX.json";
    const int fd = ::mkstemps(tmpl, 5);
    if (fd < 0) fail("report", std::string("cannot create a temporary file in /tmp: ") + std::strerror(errno));
    ::close(fd);
    path_ = tmpl;
    try {
      write_file("report", path_, reports::to_json_text(r));
    } catch (...) {
      ::unlink(path_.c_str());
      throw;
    }
  }
  ~TempReport() { ::unlink(path_.c_str()); }
  TempReport(const TempReport&) = delete;
  TempReport& operator=(const TempReport&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string python_interpreter() {
  const char* p = std::getenv("BENCHLAB_PYTHON");
  return p && *p ? p : "/usr/bin/python3";
}

std::string reports_script_dir() {
  const char* d = std::getenv("BENCHLAB_REPORTS_DIR");
  return d && *d ? d : std::string(BENCHLAB_SOURCE_DIR) + "/reports";
}

void write_report_outputs(const reports::Report& r, const ReportOutputs& out) {
  // Every output's directory, before any work: figures take seconds to draw.
  for (const auto& [option, path] : {std::pair{"--csv", out.csv}, {"--gbench-json", out.gbench_json},
                                     {"--html", out.html}, {"--plot", out.plot_stem}}) {
    if (path.empty() || path == "-") continue;
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (::access(dir.c_str(), W_OK) != 0)
      fail(std::string(option) + " " + path, fmt::format("cannot write in {}: {}", dir.string(), std::strerror(errno)));
  }
  if (!out.csv.empty()) write_file("--csv", out.csv, reports::to_csv(r));
  if (!out.gbench_json.empty()) write_file("--gbench-json", out.gbench_json, reports::to_gbench_json(r).dump(2) + "\n");
  if (out.html.empty() && out.plot_stem.empty()) return;
  // The scripts read what benchlab reads: a version-1 file upgraded, the summary recomputed.
  TempReport tmp(r);
  if (!out.plot_stem.empty()) run_script("--plot", "plot.py", {tmp.path(), out.plot_stem});
  if (!out.html.empty()) run_script("--html", "html_report.py", {tmp.path(), out.html});
}

}  // namespace benchlab
