// Error kinds and the process exit codes they map to. Low-level code returns negative errno
// or throws SystemError; configuration problems are thrown at the edge as ScenarioError so
// the CLI can print exactly one line naming the file, line, key and reason.
#pragma once

#include <stdexcept>
#include <string>

namespace benchlab {

enum class ExitCode : int {
  ok = 0,
  run_failure = 1,     // the run started and something failed (workload, engagement check)
  usage = 2,           // bad command line
  scenario = 3,        // the scenario file (or a --set override) is invalid
  unsupported = 4,     // missing privilege or kernel feature
  busy = 5,            // another benchlab run is measuring on this machine
  cannot_judge = 6,    // benchlab gate: noisy rows, too few repetitions or rows missing
  interrupted = 130,   // 128 + SIGINT; SIGTERM gives 143
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& msg) : std::runtime_error(msg), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// "file:line: key: reason" — line 0 means the position is unknown (e.g. a --set override).
class ScenarioError : public Error {
 public:
  ScenarioError(std::string file, int line, std::string key, std::string reason)
      : Error(ExitCode::scenario, format(file, line, key, reason)),
        file_(std::move(file)), line_(line), key_(std::move(key)), reason_(std::move(reason)) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key() const { return key_; }
  const std::string& reason() const { return reason_; }

 private:
  static std::string format(const std::string& f, int line, const std::string& k, const std::string& r) {
    std::string s = f;
    if (line > 0) s += ":" + std::to_string(line);
    s += ": ";
    if (!k.empty()) s += k + ": ";
    return s + r;
  }
  std::string file_;
  int line_;
  std::string key_;
  std::string reason_;
};

class UnsupportedError : public Error {
 public:
  explicit UnsupportedError(const std::string& msg) : Error(ExitCode::unsupported, msg) {}
};

class RunError : public Error {
 public:
  explicit RunError(const std::string& msg) : Error(ExitCode::run_failure, msg) {}
};

// A failed system call: "what: strerror(errno)".
class SystemError : public Error {
 public:
  SystemError(const std::string& what, int err);
  int err() const { return err_; }

 private:
  int err_;
};

// Throws UnsupportedError naming `command` ("benchlab run") and the capabilities it needs when
// this process is not root.
void require_root(const std::string& command);

}  // namespace benchlab
