// Workload endpoints run in forked child processes: each enters its namespace with setns(),
// joins the datapath's cgroup, pins itself to its CPU, runs its body and sends the body's JSON
// result back through a pipe. Children die with the parent (PR_SET_PDEATHSIG) and are killed at
// their deadline, so no load outlives its bound. Fork only from a single-threaded parent.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "benchlab/core/clock.hpp"
#include "benchlab/core/results.hpp"
#include "benchlab/core/topology.hpp"

namespace benchlab {

// The child's side of the pipe to the parent.
class ChildChannel {
 public:
  explicit ChildChannel(int fd) : fd_(fd) {}
  void ready();   // tell the parent this endpoint is ready (e.g. listening)

 private:
  int fd_;
};

struct ChildSpec {
  std::string role;                       // "client", "server", ...
  const NetNamespace* ns = nullptr;       // nullptr: stay in the caller's namespace
  std::string cgroup;                     // cgroup v2 directory to join, or ""
  int cpu = -1;                           // CPU to pin to, or -1
  std::function<nlohmann::json(ChildChannel&)> body;
};

class ChildProcess {
 public:
  static ChildProcess spawn(ChildSpec spec);
  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();   // kills and reaps a child still running

  pid_t pid() const { return pid_; }
  const std::string& role() const { return role_; }
  // Blocks until the child calls ready(); throws RunError if it exits or the deadline passes.
  void await_ready(Clock::time_point deadline);
  // Collects the child's result and CPU time. Kills it at the deadline. Throws RunError with the
  // child's own error line if its body threw, it crashed, or it timed out.
  nlohmann::json wait(Clock::time_point deadline, ProcessCpu* cpu = nullptr);

 private:
  ChildProcess(pid_t pid, int fd, std::string role, int cpu) : pid_(pid), fd_(fd), role_(std::move(role)), cpu_(cpu) {}
  bool read_some(Clock::time_point deadline);   // false on EOF
  void kill_and_reap();
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string role_;
  int cpu_ = -1;
  std::string buf_;
  bool ready_ = false;
  bool reaped_ = false;
};

}  // namespace benchlab
