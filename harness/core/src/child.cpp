#include "benchlab/core/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <dlfcn.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "benchlab/core/error.hpp"

namespace benchlab {

namespace {

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += size_t(n);
  }
  return true;
}

// The forked child is single-threaded, but glibc 2.36 (Debian 12) leaves its own
// __libc_single_threaded false after a fork from a multi-threaded process (benchlab's parent
// keeps a thread per namespace), so every read(), write(), send(), recv() and select() of the
// workload would take the thread-cancellation path: measured +20 ns per call, +3% receiver CPU
// and -2.5% throughput for iperf at 1 KiB. glibc's own copy of the flag is set back to true here,
// which is what it says: this process has one thread (a later pthread_create clears it again).
void mark_single_threaded() {
  void* libc = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY);
  if (!libc) return;
  if (auto* flag = static_cast<char*>(dlsym(libc, "__libc_single_threaded"))) *flag = 1;
  dlclose(libc);
}

// Runs in the child: set up its place, run the body, report, exit without unwinding the
// parent's state (no atexit handlers, no destructors of copied objects).
[[noreturn]] void child_main(ChildSpec& spec, int fd) {
  int rc = 0;
  nlohmann::json out;
  mark_single_threaded();
  try {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) throw SystemError("prctl(PR_SET_PDEATHSIG)", errno);
    if (spec.ns && setns(spec.ns->fd(), CLONE_NEWNET) != 0)
      throw SystemError("setns into " + spec.ns->name(), errno);
    if (!spec.cgroup.empty()) {
      std::ofstream procs(spec.cgroup + "/cgroup.procs");
      procs << "0" << std::flush;
      if (!procs) throw RunError("cannot join cgroup " + spec.cgroup);
    }
    if (spec.cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(spec.cpu, &set);
      if (sched_setaffinity(0, sizeof(set), &set) != 0)
        throw SystemError("sched_setaffinity(cpu " + std::to_string(spec.cpu) + ")", errno);
    }
    ChildChannel ch(fd);
    out = nlohmann::json{{"result", spec.body(ch)}};
  } catch (const std::exception& e) {
    out = nlohmann::json{{"error", e.what()}};
    rc = 1;
  } catch (...) {
    out = nlohmann::json{{"error", "unknown exception"}};
    rc = 1;
  }
  write_all(fd, "J" + out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  ::close(fd);
  _exit(rc);
}

}  // namespace

void ChildChannel::ready() {
  if (!write_all(fd_, "R\n")) throw SystemError("write to parent", errno);
}

ChildProcess ChildProcess::spawn(ChildSpec spec) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw SystemError("pipe2", errno);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    ::close(p[0]);
    ::close(p[1]);
    throw SystemError("fork", e);
  }
  if (pid == 0) {
    ::close(p[0]);
    child_main(spec, p[1]);
  }
  ::close(p[1]);
  return ChildProcess(pid, p[0], spec.role, spec.cpu);
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(o.pid_), fd_(o.fd_), role_(std::move(o.role_)), cpu_(o.cpu_), buf_(std::move(o.buf_)),
      ready_(o.ready_), reaped_(o.reaped_) {
  o.pid_ = -1;
  o.fd_ = -1;
  o.reaped_ = true;
}

ChildProcess::~ChildProcess() {
  kill_and_reap();
  if (fd_ >= 0) ::close(fd_);
}

void ChildProcess::kill_and_reap() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
}

bool ChildProcess::read_some(Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      kill_and_reap();
      throw RunError(role_ + ": timed out");
    }
    pollfd pfd{fd_, POLLIN, 0};
    int n = ::poll(&pfd, 1, int(std::min<long long>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("poll", errno);
    if (n == 0) continue;
    char tmp[65536];
    ssize_t r = ::read(fd_, tmp, sizeof tmp);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw SystemError("read from " + role_, errno);
    if (r == 0) return false;
    buf_.append(tmp, size_t(r));
    // Consume ready markers at the front; keep the JSON line whole.
    while (buf_.rfind("R\n", 0) == 0) {
      ready_ = true;
      buf_.erase(0, 2);
    }
    return true;
  }
}

void ChildProcess::await_ready(Clock::time_point deadline) {
  while (!ready_) {
    if (!read_some(deadline)) {
      // EOF before ready: the body failed; wait() reports its error line.
      wait(deadline);
      throw RunError(role_ + ": exited before it was ready");
    }
  }
}

nlohmann::json ChildProcess::wait(Clock::time_point deadline, ProcessCpu* cpu) {
  while (read_some(deadline)) {
  }
  int status = 0;
  rusage ru{};
  for (;;) {
    pid_t r = wait4(pid_, &status, 0, &ru);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw SystemError("wait4 " + role_, errno);
    break;
  }
  reaped_ = true;
  if (cpu) {
    cpu->role = role_;
    cpu->cpu = cpu_;
    cpu->user_s = double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) * 1e-6;
    cpu->system_s = double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) * 1e-6;
  }
  if (WIFSIGNALED(status))
    throw RunError(role_ + ": killed by signal " + std::to_string(WTERMSIG(status)));
  auto pos = buf_.find('J');
  if (pos == std::string::npos) throw RunError(role_ + ": exited without a result");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(buf_.substr(pos + 1));
  } catch (const std::exception& e) {
    throw RunError(role_ + ": unreadable result: " + e.what());
  }
  if (j.contains("error")) throw RunError(role_ + ": " + j["error"].get<std::string>());
  return j.at("result");
}

}  // namespace benchlab
