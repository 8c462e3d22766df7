// tcp_stream: bulk TCP driven by libiperf (iperf3 3.12's C API).
//
// libiperf keeps process-global state (i_errno, signal handling, its timer list), so each end
// runs in its own forked child, placed in its endpoint's namespace, the datapath's cgroup and its
// CPU by the socket-workload scaffold (socket_pair.hpp). Throughput is taken at the receiver: the
// server's own iperf JSON (interval sums and sum_received), never the sender's view.
//
// Timing. iperf counts whole seconds (-t), so it runs for warmup_s + duration_s rounded up to a
// whole second, without its own omit period (-O 0), reporting intervals that divide the
// warm-up and the window: intervals before warmup_s are tagged warm-up, intervals after the
// window (the rounding's tail) cooldown, and only those in between are measured. `extra`
// records what iperf ran with (iperf_duration_s, interval_s). iperf starts its interval clock on the
// server when the control handshake reaches TEST_START, just before the client starts
// writing. Both children watch their own sockets from a watcher process and stamp
// CLOCK_MONOTONIC, into a page shared with the parent, the moment payload starts to move
// (FirstData): the server when it has received some, the client when some was acknowledged or
// written (the client then calls ready()). Every stamp trails iperf's clock start, by one
// control message, the time to move kDataMark_bytes and up to one polling period (kPoll), so
// the parent takes the earlier of the two as t0 and calls hooks.begin() at t0 + warm-up and
// hooks.end() at t0 + warm-up + duration. On an idle machine the stamps agree within a fraction of
// a millisecond; `extra` keeps start_stamp_skew_s (client stamp - server stamp) and how late
// each hook call was (hook_begin_late_s, hook_end_late_s), against windows of seconds.
//
// Payload. iperf reads what it receives into a buffer and discards it, so after both ends have
// reported, the cell's payload check runs: verify_bytes sent again through the same datapath,
// flows and message size, every byte and every flow's length checked at the receiver
// (stream_check.hpp). extra keeps payload_check_bytes and _s.
//
// Failures are data: a payload that differed, a check that could not finish, an end that failed
// or timed out, a datapath barrier that failed is the result's `failure`, and the samples stay in
// the result: a receiver whose iperf failed (its peer died) returns the intervals it reported
// until then. (An end killed at its deadline returns nothing.)

#include <dirent.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <iperf_api.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "benchlab/core/child.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/topology.hpp"
#include "benchlab/workloads/socket_pair.hpp"
#include "benchlab/workloads/stream_check.hpp"
#include "benchlab/workloads/tcp.hpp"

namespace benchlab::workloads {
namespace {

using json = nlohmann::json;

constexpr int kConnectTimeout_ms = 3000;          // client's control connect (iperf --connect-timeout)
constexpr double kListenTimeout_s = 10;           // server child: start to listening
constexpr double kStartTimeout_s = 10;            // client child: start to first data (+ connect timeout)
constexpr double kGrace_s = 10;                   // after the window: both iperf ends report
constexpr double kCheckTimeout_s = 20;            // the verified transfer after the load
constexpr uint64_t kDataMark_bytes = 4096;        // more than iperf's control channel sends before the end
constexpr auto kPoll = std::chrono::microseconds(250);
constexpr uint32_t kMaxBlksize_bytes = 1024 * 1024;   // iperf 3.12 MAX_BLOCKSIZE (checked only by its CLI)
constexpr uint32_t kMaxStreams = 128;                 // iperf 3.12 MAX_STREAMS (likewise)

struct StreamParams {
  std::string server_addr;   // literal IPv4 or IPv6 address the server listens on
  int port = 5201;           // port the server listens on (iperf's control and data connections)
  std::string connect_addr;  // where the client connects: the server, or a datapath's proxy
  int connect_port = 5201;
  int blksize = 1024;        // iperf -l: bytes per write (and per read on the receiver)
  int flows = 1;             // iperf -P
  int omit_s = 1;            // iperf -O: warm-up, reported as omitted intervals
  int duration_s = 5;        // iperf -t
  double interval_s = 0.5;   // iperf -i, on both ends
  bool zerocopy = false;     // iperf -Z (sendfile on the sender)
};

// ---- child side -------------------------------------------------------------------------

struct IperfTestDeleter {
  void operator()(iperf_test* t) const { iperf_free_test(t); }
};
using IperfTestPtr = std::unique_ptr<iperf_test, IperfTestDeleter>;

// iperf writes its report to stdout and its complaints to stderr. In a child nothing may
// reach the terminal: stdout goes to /dev/null (the JSON is taken from memory) and stderr to a
// memfd whose tail is attached to an error line.
class QuietStdio {
 public:
  QuietStdio() {
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0) throw SystemError("open /dev/null", errno);
    ::dup2(null, STDOUT_FILENO);
    ::close(null);
    err_ = int(::syscall(SYS_memfd_create, "iperf-stderr", 0));
    if (err_ >= 0) ::dup2(err_, STDERR_FILENO);
  }
  // The last non-empty line iperf wrote to stderr, or "".
  std::string last_line() const {
    if (err_ < 0) return {};
    std::string s;
    char buf[4096];
    ssize_t n;
    off_t off = 0;
    while ((n = ::pread(err_, buf, sizeof buf, off)) > 0) {
      s.append(buf, size_t(n));
      off += n;
    }
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    auto nl = s.rfind('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
  }

 private:
  int err_ = -1;
};

IperfTestPtr new_iperf_test(char role, const StreamParams& p) {
  IperfTestPtr t(iperf_new_test());
  if (!t) throw RunError("iperf_new_test failed");
  if (iperf_defaults(t.get()) < 0) throw RunError(std::string("iperf_defaults: ") + iperf_strerror(i_errno));
  iperf_set_test_role(t.get(), role);
  iperf_set_test_json_output(t.get(), 1);
  iperf_set_test_logfile(t.get(), "/dev/null");   // where iperf prints the JSON it also keeps
  iperf_set_test_reporter_interval(t.get(), p.interval_s);
  iperf_set_test_stats_interval(t.get(), p.interval_s);
  return t;
}

// The iperf error for a failed run: iperf's own message, plus what it said on stderr. (With
// JSON output the client reports most failures inside the report instead; see report_of.)
std::string iperf_failure(const QuietStdio& q) {
  std::string msg = std::string("iperf: ") + iperf_strerror(i_errno);
  std::string tail = q.last_line();
  if (!tail.empty() && msg.find(tail) == std::string::npos) msg += " (" + tail + ")";
  return msg;
}

// Every socket this process holds, by fd. iperf's sockets are not handed to us, so the
// watchers below find them the way `ss -p` would, but through getsockopt on our own fds.
void for_each_socket(const std::function<void(int fd)>& fn) {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return;
  int self = ::dirfd(d);
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == self || fd <= STDERR_FILENO) continue;
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(int(fd), SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM) fn(int(fd));
  }
  ::closedir(d);
}

int local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

bool listening_on(int port) {
  bool found = false;
  for_each_socket([&](int fd) {
    int acc = 0;
    socklen_t len = sizeof acc;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc && local_port(fd) == port)
      found = true;
  });
  return found;
}

// Connected TCP sockets of this process (iperf's control and data connections).
std::vector<int> connected_sockets() {
  std::vector<int> fds;
  for_each_socket([&](int fd) {
    tcp_info ti{};
    socklen_t len = sizeof ti;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == 1 /* ESTABLISHED */)
      fds.push_back(fd);
  });
  return fds;
}

// True once one connection has moved kDataMark_bytes (acknowledged by the peer when sending,
// taken in when receiving): only a data stream gets there before the test ends, since the
// control channel carries a few hundred bytes.
bool tcp_moved_data(bool receiving) {
  bool moved = false;
  for_each_socket([&](int fd) {
    tcp_info ti{};
    socklen_t len = sizeof ti;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return;
    if ((receiving ? ti.tcpi_bytes_received : ti.tcpi_bytes_acked) >= kDataMark_bytes) moved = true;
  });
  return moved;
}

// Bytes the iperf process `pid` (single-threaded) has passed through read() (rchar) or
// write()/sendfile() (wchar), from /proc/<pid>/task/<pid>/io; nullopt without task I/O
// accounting. The watcher's own reads of /proc are its own process's and do not count there.
std::optional<uint64_t> iperf_io(pid_t pid, bool receiving) {
  std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/io";
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return std::nullopt;
  const char* key = receiving ? "rchar: %llu" : "wchar: %llu";
  std::optional<uint64_t> v;
  char line[128];
  unsigned long long n = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, key, &n) == 1) v = n;
  std::fclose(f);
  return v;
}

// Has payload started to move on this end? TCP's own counters answer first on the plain stack,
// but a sockmap datapath hands data socket to socket past them, so the iperf process's I/O
// counters since construction answer too. Those also count iperf's control messages and the
// 37-byte cookie each connection starts with, hence a mark that grows with the flows.
class FirstData {
 public:
  FirstData(pid_t iperf_pid, bool receiving, int flows)
      : pid_(iperf_pid), receiving_(receiving), io_mark_(2 * kDataMark_bytes + 64 * uint64_t(flows)),
        io_base_(iperf_io(iperf_pid, receiving)) {}
  bool operator()() const {
    if (tcp_moved_data(receiving_)) return true;
    auto io = iperf_io(pid_, receiving_);
    return io && io_base_ && *io - *io_base_ >= io_mark_;
  }

 private:
  pid_t pid_;
  bool receiving_;
  uint64_t io_mark_;
  std::optional<uint64_t> io_base_;
};

// Polls `cond` every kPoll until it holds (true) or `stop` is set (false).
bool poll_until(const std::function<bool()>& cond, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    if (cond()) return true;
    std::this_thread::sleep_for(kPoll);
  }
  return false;
}

// What watches a child's own sockets while libiperf runs: a process, not a thread. It shares
// the child's file descriptor table (clone with CLONE_FILES, so it sees iperf's sockets and the
// channel to the parent) but not its memory or thread group, so the iperf process stays
// single-threaded: glibc sends every read()/select() of a process that ever had a second thread
// through its cancellation path, which cost the receiver 3% of its CPU at 1 KiB (measured).
// Its owner stops and reaps it when iperf returns; an exception from it is kept for the owner in
// the shared page.
class Watcher {
 public:
  using Fn = std::function<void(const std::atomic<bool>& stop)>;
  explicit Watcher(Fn fn) : fn_(std::move(fn)) {
    void* sh = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) throw SystemError("mmap", errno);
    shared_ = new (sh) Shared;
    stack_ = ::mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack_ == MAP_FAILED) {
      ::munmap(shared_, sizeof(Shared));
      throw SystemError("mmap", errno);
    }
    pid_ = ::clone(&Watcher::entry, static_cast<char*>(stack_) + kStackBytes, CLONE_FILES | SIGCHLD, this);
    if (pid_ < 0) {
      int e = errno;
      release();
      throw SystemError("clone", e);
    }
  }
  ~Watcher() {
    stop();
    release();
  }
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Asks it to stop, waits a moment, then kills it; reaped either way.
  void stop() {
    if (pid_ <= 0) return;
    shared_->stop = true;
    for (int i = 0; i < 200; ++i) {   // it polls every kPoll; a datapath barrier may take longer
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string error() const { return shared_->error; }

 private:
  static constexpr size_t kStackBytes = 1 << 20;
  struct Shared {
    std::atomic<bool> stop{false};
    char error[512] = {};
  };
  static int entry(void* arg) {
    auto* w = static_cast<Watcher*>(arg);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    try {
      w->fn_(w->shared_->stop);
    } catch (const std::exception& e) {
      std::snprintf(w->shared_->error, sizeof w->shared_->error, "%s", e.what());
    }
    std::fflush(nullptr);
    ::_exit(0);
  }
  void release() {
    if (stack_ && stack_ != MAP_FAILED) ::munmap(stack_, kStackBytes);
    if (shared_) {
      shared_->~Shared();
      ::munmap(shared_, sizeof(Shared));
    }
    stack_ = nullptr;
    shared_ = nullptr;
  }

  Fn fn_;
  Shared* shared_ = nullptr;
  void* stack_ = nullptr;
  pid_t pid_ = -1;
};

// The datapath's readiness barrier for every connection this process holds. Runs during the
// warm-up; a datapath that does not take the sockets fails the run.
void await_datapath(const Datapath& dp) {
  for (int fd : connected_sockets()) dp.await_socket(fd);
}

// The parts of an iperf JSON report the parent uses: interval sums, end sums, start info.
json trim_report(const json& r) {
  json out;
  out["start"] = {{"version", r["start"].value("version", "")},
                  {"test_start", r["start"].value("test_start", json::object())}};
  json intervals = json::array();
  for (const auto& iv : r.value("intervals", json::array())) intervals.push_back(iv.at("sum"));
  out["intervals"] = std::move(intervals);
  json end = json::object();
  for (const char* k : {"sum_sent", "sum_received", "cpu_utilization_percent"})
    if (r["end"].contains(k)) end[k] = r["end"][k];
  out["end"] = std::move(end);
  return out;
}

// iperf's report. A run iperf ended with an error (`why`, or an "error" in its report: a peer
// that went away) keeps the intervals it reported until then, returned with the reason as
// "failure"; with no interval, the reason is thrown.
json report_of(iperf_test* t, std::string why = {}) {
  const char* s = iperf_get_test_json_output_string(t);
  json r = s ? json::parse(s, nullptr, false) : json();
  if (why.empty()) {
    if (!s) throw RunError("iperf produced no JSON report");
    if (r.is_discarded()) throw RunError("iperf produced an unreadable JSON report");
    if (r.contains("error")) why = "iperf: " + r["error"].get<std::string>();
    if (why.empty()) return trim_report(r);
  }
  if (!r.is_object() || r.value("intervals", json::array()).empty()) throw RunError(why);
  json out = trim_report(r);
  out["failure"] = why;
  return out;
}

// After iperf_run_*() failed: its report tree is left unrendered, so render what it has. Its
// log file (/dev/null here), where rendering writes, was closed on the way out: reopen it.
json failed_report(iperf_test* t, const QuietStdio& q) {
  const std::string why = iperf_failure(q);
  if (iperf_open_logfile(t) == 0) {
    iperf_json_finish(t);   // nothing when iperf failed before its report began
    iperf_close_logfile(t);
  }
  return report_of(t, why);
}

// What an end returns: iperf's report, and why the datapath failed it, if it did.
json with_datapath_error(json report, const Watcher& helper) {
  if (!helper.error().empty()) report["failure"] = "datapath: " + helper.error();
  return report;
}

// When data first moved, on CLOCK_MONOTONIC, as each child saw it: written by the children,
// read by the parent, in a shared anonymous page mapped before fork.
struct StartStamps {
  std::atomic<double> client_acked{0};      // client: FirstData(sending) held
  std::atomic<double> server_received{0};   // server: FirstData(receiving) held
};

class SharedStartStamps {
 public:
  SharedStartStamps() {
    void* p = ::mmap(nullptr, sizeof(StartStamps), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw SystemError("mmap", errno);
    stamps_ = new (p) StartStamps;
  }
  ~SharedStartStamps() {
    stamps_->~StartStamps();
    ::munmap(stamps_, sizeof(StartStamps));
  }
  SharedStartStamps(const SharedStartStamps&) = delete;
  SharedStartStamps& operator=(const SharedStartStamps&) = delete;
  StartStamps* get() const { return stamps_; }

 private:
  StartStamps* stamps_;
};

json server_body(ChildChannel& ch, const StreamParams& p, const Datapath& dp, StartStamps* stamps) {
  QuietStdio quiet;
  IperfTestPtr t = new_iperf_test('s', p);
  iperf_set_test_bind_address(t.get(), p.server_addr.c_str());
  iperf_set_test_server_port(t.get(), p.port);
  iperf_set_test_one_off(t.get(), 1);

  // libiperf opens its listening socket inside iperf_run_server: report ready once it is
  // there, then stamp the first data and hold the datapath to its readiness barrier.
  const pid_t self = ::getpid();
  Watcher helper([&](const std::atomic<bool>& stop) {
    if (!poll_until([&] { return listening_on(p.port); }, stop)) return;
    ch.ready();
    FirstData first(self, true, p.flows);   // counted from here: the control channel has not spoken yet
    if (!poll_until(std::cref(first), stop)) return;
    stamps->server_received.store(mono_now_s());
    await_datapath(dp);
  });
  int rc = iperf_run_server(t.get());
  helper.stop();
  if (rc < 0) return failed_report(t.get(), quiet);   // the receiver's intervals until then
  return with_datapath_error(report_of(t.get()), helper);
}

json client_body(ChildChannel& ch, const StreamParams& p, const Datapath& dp, StartStamps* stamps) {
  QuietStdio quiet;
  IperfTestPtr t = new_iperf_test('c', p);
  iperf_set_test_server_hostname(t.get(), p.connect_addr.c_str());
  iperf_set_test_server_port(t.get(), p.connect_port);
  iperf_set_test_blksize(t.get(), p.blksize);
  iperf_set_test_num_streams(t.get(), p.flows);
  iperf_set_test_duration(t.get(), p.duration_s);
  iperf_set_test_omit(t.get(), p.omit_s);
  iperf_set_test_connect_timeout(t.get(), kConnectTimeout_ms);
  iperf_set_test_zerocopy(t.get(), p.zerocopy ? 1 : 0);

  FirstData first(::getpid(), false, p.flows);
  Watcher helper([&](const std::atomic<bool>& stop) {
    if (!poll_until(std::cref(first), stop)) return;
    stamps->client_acked.store(mono_now_s());
    ch.ready();
    await_datapath(dp);
  });
  int rc = iperf_run_client(t.get());
  helper.stop();
  if (rc < 0) return failed_report(t.get(), quiet);
  return with_datapath_error(report_of(t.get()), helper);
}

// ---- parent side ------------------------------------------------------------------------

// iperf takes whole seconds: at least what was asked.
int whole_seconds_at_least(double s, int min) {
  return std::max(min, int(std::ceil(s - 1e-6)));
}

bool divides(double step, double x) {
  double q = x / step;
  return std::fabs(q - std::round(q)) < 1e-6;
}

// A reporting interval that puts a boundary at the end of the warm-up and of the window, so
// no interval straddles them: the configured one if it does, else the largest that does.
double aligned_interval(double wanted, double warmup_s, double duration_s) {
  for (double c : {wanted, 0.5, 0.25, 0.2, 0.1})
    if (c >= 0.1 && divides(c, warmup_s) && divides(c, duration_s)) return c;
  return wanted;   // no aligned choice: straddling intervals are left out of the window below
}

double num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Turns the receiver's interval sums into samples, on the load's own time axis (warm-up
// included). `messages` is bytes / blksize, an approximation: TCP delivers a byte stream and
// the receiver's reads do not follow the sender's writes.
//
// Intervals before warmup_s are tagged warm-up, those ending after the window cooldown (when
// warm-up + duration is not whole seconds, iperf runs on to the next second); an interval that
// straddles a boundary (no aligned interval length existed) goes by where its middle lies.
void fill_samples(const json& receiver, int blksize, double warmup_s, double window_end_s, WorkloadResult& r) {
  for (const auto& iv : receiver.at("intervals")) {
    IntervalSample s;
    s.start_s = num(iv, "start");
    s.duration_s = num(iv, "end") - s.start_s;
    // iperf's interval edges drift by a millisecond or so from the exact multiples: classify
    // each interval by its middle.
    const double mid = s.start_s + s.duration_s / 2;
    s.warmup = mid < warmup_s;
    s.cooldown = !s.warmup && mid > window_end_s;
    if (!s.warmup && !s.cooldown) r.window_s += s.duration_s;
    s.bytes = uint64_t(num(iv, "bytes"));
    s.messages = blksize > 0 ? s.bytes / uint64_t(blksize) : 0;
    r.samples.push_back(s);
  }
}

void fill_extra(const json& sender, const json& receiver, WorkloadResult& r) {
  auto& x = r.extra;
  const json& sent = sender["end"].value("sum_sent", json::object());
  const json& received = receiver["end"].value("sum_received", json::object());
  x["retransmits"] = num(sent, "retransmits");
  x["sender_bytes"] = num(sent, "bytes");
  x["sender_seconds"] = num(sent, "seconds");
  x["receiver_bytes"] = num(received, "bytes");
  x["receiver_seconds"] = num(received, "seconds");
  const json& ts = sender["start"].value("test_start", json::object());
  x["iperf_blksize_bytes"] = num(ts, "blksize");
  x["iperf_num_streams"] = num(ts, "num_streams");
  x["iperf_omit_s"] = num(ts, "omit");
  x["iperf_duration_s"] = num(ts, "duration");
  const json& scpu = sender["end"].value("cpu_utilization_percent", json::object());
  const json& rcpu = receiver["end"].value("cpu_utilization_percent", json::object());
  x["iperf_sender_cpu_pct"] = num(scpu, "host_total");
  x["iperf_sender_cpu_user_pct"] = num(scpu, "host_user");
  x["iperf_sender_cpu_system_pct"] = num(scpu, "host_system");
  x["iperf_receiver_cpu_pct"] = num(rcpu, "host_total");
  x["iperf_receiver_cpu_user_pct"] = num(rcpu, "host_user");
  x["iperf_receiver_cpu_system_pct"] = num(rcpu, "host_system");
  // "iperf 3.12" -> 3 and 12 (a double cannot carry "3.1" versus "3.10").
  int major = 0, minor = 0;
  if (std::sscanf(sender["start"].value("version", "").c_str(), "iperf %d.%d", &major, &minor) == 2) {
    x["iperf_version_major"] = major;
    x["iperf_version_minor"] = minor;
  }
}

class TcpStreamWorkload : public Workload {
 public:
  WorkloadResult run(const WorkloadContext& ctx) override {
    if (ctx.cell.integer("message_size") < 1 || ctx.cell.integer("message_size") > kMaxBlksize_bytes)
      throw RunError("tcp_stream: message_size " + std::to_string(ctx.cell.integer("message_size")) +
                     " is outside iperf's 1.." + std::to_string(kMaxBlksize_bytes) + " bytes");
    if (ctx.cell.integer("flows") < 1 || ctx.cell.integer("flows") > kMaxStreams)
      throw RunError("tcp_stream: flows " + std::to_string(ctx.cell.integer("flows")) + " is outside iperf's 1.." +
                     std::to_string(kMaxStreams));
    StreamParams p;
    p.server_addr = ctx.topo.server().addr.str();
    p.port = int(ctx.options.get_int("port"));
    p.blksize = int(ctx.cell.integer("message_size"));
    p.flows = int(ctx.cell.integer("flows"));
    p.omit_s = 0;
    p.duration_s = whole_seconds_at_least(ctx.warmup_s + ctx.duration_s, 1);
    p.interval_s = aligned_interval(ctx.options.get_number("interval_s"), ctx.warmup_s, ctx.duration_s);
    p.zerocopy = ctx.options.get_bool("zerocopy");
    const Datapath& dp = ctx.datapath;

    SharedStartStamps shared;
    StartStamps* stamps = shared.get();
    WorkloadResult r;
    const SocketPairOutcome o = run_socket_pair(ctx, {
        .workload = "tcp_stream",
        .port = uint16_t(p.port),
        .server_ready_s = kListenTimeout_s,
        .client_ready_s = kStartTimeout_s + kConnectTimeout_ms / 1000.0,
        .server = [p, &dp, stamps](ChildChannel& ch) { return server_body(ch, p, dp, stamps); },
        .client =
            [p, &dp, stamps](ChildChannel& ch, const ConnectTarget& target) {
              StreamParams q = p;
              q.connect_addr = target.addr.str();
              q.connect_port = target.port;
              return client_body(ch, q, dp, stamps);
            },
        // The window starts where the first data moved, by the earlier of the two stamps.
        .start =
            [&] {
              double t0 = stamps->client_acked.load();
              if (t0 <= 0) t0 = mono_now_s();   // not reached: the client stamps before ready()
              double rx = stamps->server_received.load();
              if (rx > 0) {
                r.extra["start_stamp_skew_s"] = t0 - rx;
                t0 = std::min(t0, rx);
              }
              return std::optional<MeasuredWindow>({t0 + ctx.warmup_s, t0 + ctx.warmup_s + ctx.duration_s});
            },
        .finish_s = kGrace_s,
    });
    if (o.window) {
      r.extra["hook_begin_late_s"] = o.begin_late_s;
      r.extra["hook_end_late_s"] = o.end_late_s;
    }
    for (const EndResult* e : {&o.client, &o.server})
      if (!e->cpu.role.empty()) r.processes.push_back(e->cpu);
    const json& sender = o.client.result;
    const json& receiver = o.server.result;
    try {
      if (receiver.is_object()) {
        fill_samples(receiver, p.blksize, ctx.warmup_s, ctx.warmup_s + ctx.duration_s, r);
        r.extra["interval_s"] = p.interval_s;
      }
      if (sender.is_object() && receiver.is_object()) fill_extra(sender, receiver, r);
    } catch (const json::exception& e) {
      r.failure = std::string("tcp_stream: unexpected iperf report: ") + e.what();
    }
    if (r.failure.empty()) r.failure = o.failure("tcp_stream");
    // iperf does not look at what it receives: the payload check is a verified transfer of the
    // same cell through the same datapath, after a load that went through (stream_check.hpp).
    if (r.failure.empty() && ctx.options.get_bool("verify_payload")) check_payload(ctx, p, r);
    return r;
  }

 private:
  static void check_payload(const WorkloadContext& ctx, const StreamParams& p, WorkloadResult& r) {
    const uint64_t total = uint64_t(ctx.options.get_int("verify_bytes"));
    const uint64_t per_flow = std::max<uint64_t>(total / uint64_t(p.flows), uint64_t(p.blksize));
    StreamCheckResult c;
    try {
      c = run_stream_check(ctx, uint16_t(p.port), per_flow, kCheckTimeout_s);
    } catch (const std::exception& e) {
      c.failure = e.what();
    }
    r.payload_checked = true;
    r.payload_errors = c.bad_reads;
    r.extra["payload_check_bytes"] = double(c.bytes);
    r.extra["payload_check_s"] = c.seconds;
    if (!c.failure.empty())
      r.failure = "tcp_stream: " + c.failure;
    else if (c.bad_reads)
      r.failure = fmt::format("tcp_stream: payload check: {} reads differed from what was sent (first at {})",
                              c.bad_reads, c.first_mismatch);
  }
};

}  // namespace

void register_tcp_stream(WorkloadRegistry& reg) {
  reg.add({
      .name = "tcp_stream",
      .description = "bulk TCP, one direction, libiperf (iperf3); throughput counted at the receiver",
      .options =
          {
              {.name = "port", .type = OptionType::integer, .default_value = int64_t(5201),
               .doc = "TCP port of the iperf server (control and data)", .min = 1, .max = 65535, .choices = {}},
              {.name = "interval_s", .type = OptionType::number, .default_value = 1.0,
               .doc = "length of one reported interval (iperf -i; shortened to divide warm-up and window; each costs the sender a stats pass)", .min = 0.1, .max = 60, .choices = {}},
              {.name = "zerocopy", .type = OptionType::boolean, .default_value = false,
               .doc = "sender uses sendfile() (iperf -Z)", .min = {}, .max = {}, .choices = {}},
              {.name = "verify_payload", .type = OptionType::boolean, .default_value = true,
               .doc = "after the load, send verify_bytes again through the same datapath and check every byte at the receiver (iperf checks none)",
               .min = {}, .max = {}, .choices = {}},
              {.name = "verify_bytes", .type = OptionType::integer, .default_value = int64_t(4 << 20),
               .doc = "bytes of the verified transfer, split over the flows (each at least one message)",
               .min = 65536.0, .max = double(1ll << 30), .choices = {}},
          },
      .factory = [] { return std::make_unique<TcpStreamWorkload>(); },
      .traffic = {"stream"},
      .axes = socket_axes(),
      .metrics =
          {
              {.name = "throughput_bps", .unit = "bit/s", .direction = Direction::higher_is_better,
               .derivation = Derivation::rate, .source = "bytes", .scale = 8,
               .doc = "payload bits per second counted at the receiver", .headline = true,
               .display_unit = "Gbit/s", .display_scale = 1e-9},
              {.name = "messages_per_s", .unit = "1/s", .direction = Direction::higher_is_better,
               .derivation = Derivation::rate, .source = "messages", .doc = "messages (writes of message_size) per second"},
              {.name = "cpu_s_per_gb", .unit = "s/GB", .direction = Direction::lower_is_better,
               .derivation = Derivation::cpu_per_unit, .source = "bytes", .scale = 1e9,
               .doc = "busy CPU time of all CPUs per 10^9 payload bytes", .headline = true,
               .display_unit = "CPU s/GB"},
          },
      .summary = "bulk TCP one way, libiperf (iperf3)",
  });
}

}  // namespace benchlab::workloads
