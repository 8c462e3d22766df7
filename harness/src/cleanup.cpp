#include "benchlab/cleanup.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "benchlab/core/error.hpp"
#include "benchlab/netns/netns.hpp"
#include "benchlab/reports/journal.hpp"

namespace fs = std::filesystem;

namespace benchlab {
namespace {

// "bl-<6 hex>..." -> the run id, or "" when the name is not benchlab's.
std::string run_of(const std::string& name) {
  if (name.rfind("bl-", 0) != 0 || name.size() < 9) return {};
  std::string id = name.substr(3, 6);
  for (char c : id)
    if (!std::isxdigit((unsigned char)c)) return {};
  return id;
}

bool run_alive(const std::string& id) {
  std::ifstream in(std::string(kRunStateDir) + "/" + id);
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0) return false;
  return kill(pid, 0) == 0 || errno == EPERM;
}

struct Leftover {
  enum Kind { netns, cgroup, pin } kind;
  std::string name;
  std::string path;
};

std::vector<Leftover> scan() {
  std::vector<Leftover> out;
  std::error_code ec;
  auto each = [&](const char* dir, Leftover::Kind kind) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::string n = e.path().filename();
      std::string id = run_of(n);
      if (!id.empty() && !run_alive(id)) out.push_back({kind, n, e.path()});
    }
  };
  each(netns::kNetnsDir, Leftover::netns);
  each(kCgroupRoot, Leftover::cgroup);
  each(kBpffsRoot, Leftover::pin);
  return out;
}

// Detaches every BPF program attached to the cgroup at `path` (only ever a bl- cgroup).
void detach_all(const std::string& path, std::vector<std::string>& errors) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  for (int t = 0; t < __MAX_BPF_ATTACH_TYPE; ++t) {
    __u32 ids[64], n = 64, flags = 0;
    if (bpf_prog_query(fd, bpf_attach_type(t), 0, &flags, ids, &n) != 0) continue;
    for (__u32 i = 0; i < n; ++i) {
      int pfd = bpf_prog_get_fd_by_id(ids[i]);
      if (pfd < 0) continue;
      if (bpf_prog_detach2(pfd, fd, bpf_attach_type(t)) != 0)
        errors.push_back(path + ": detach program " + std::to_string(ids[i]) + ": " + std::strerror(errno));
      close(pfd);
    }
  }
  close(fd);
}

// A run that died after completing some runs left them in its journal: write its report.
// Failing that, the record goes anyway (cleanup must not fail forever on one bad file) and
// the error says how to retry by hand.
void recover_journal(const std::string& journal, CleanupReport& r) {
  try {
    const reports::RecoveredReport rec = reports::recover_report(journal);
    r.recovered.push_back(rec.report_path + " (" + std::to_string(rec.runs) + " of " + std::to_string(rec.planned_runs) +
                          " runs, from " + journal + ")");
  } catch (const reports::EmptyJournal&) {
    std::error_code ec;
    fs::remove(journal, ec);   // the run died before its first run completed: nothing measured
    r.removed.push_back("journal " + journal + " (no run had completed)");
  } catch (const std::exception& e) {
    r.errors.push_back(std::string(e.what()) + " (journal kept; `benchlab report --recover " + journal + "` retries)");
  }
}

}  // namespace

RunLock::RunLock() {
  std::error_code ec;
  fs::create_directories("/run/benchlab", ec);
  fd_ = open("/run/benchlab/run.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(ExitCode::unsupported, std::string("cannot open /run/benchlab/run.lock: ") + std::strerror(errno));
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = pread(fd_, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, size_t(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    close(fd_);
    fd_ = -1;
    throw Error(ExitCode::busy, "another benchlab run (pid " + pid +
                                    ") is measuring on this machine; two at once would disturb each other's numbers");
  }
  std::string me = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) == 0) (void)!pwrite(fd_, me.data(), me.size(), 0);
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);   // releases the lock
}

RunRecordFile::RunRecordFile(const std::string& run_base, const std::string& journal_path) {
  std::error_code ec;
  fs::create_directories(kRunStateDir, ec);
  path_ = std::string(kRunStateDir) + "/" + run_base;
  std::ofstream out(path_);
  out << getpid() << "\n";
  if (!journal_path.empty()) out << journal_path << "\n";
}

RunRecordFile::~RunRecordFile() { unlink(path_.c_str()); }

std::vector<std::string> find_leftovers() {
  std::vector<std::string> names;
  for (const auto& l : scan()) names.push_back(l.path);
  return names;
}

CleanupReport cleanup_leftovers() {
  CleanupReport r;
  // Namespaces first (their links and sockets go with them), then cgroups, then pins.
  for (const auto& l : scan()) {
    std::error_code ec;
    switch (l.kind) {
      case Leftover::netns:
        if (int e = netns::remove_named_netns(l.name); e != 0) r.errors.push_back(l.path + ": " + std::strerror(-e));
        else r.removed.push_back("namespace " + l.name);
        break;
      case Leftover::cgroup: {
        detach_all(l.path, r.errors);
        // Processes of a dead run are gone; move any stragglers to the parent before rmdir.
        std::ifstream procs(l.path + "/cgroup.procs");
        for (std::string pid; procs >> pid;) std::ofstream(std::string(kCgroupRoot) + "/cgroup.procs") << pid;
        for (const auto& sub : fs::directory_iterator(l.path, ec))
          if (sub.is_directory()) rmdir(sub.path().c_str());
        if (rmdir(l.path.c_str()) != 0) r.errors.push_back(l.path + ": " + std::strerror(errno));
        else r.removed.push_back("cgroup " + l.path);
        break;
      }
      case Leftover::pin:
        fs::remove_all(l.path, ec);
        if (ec) r.errors.push_back(l.path + ": " + ec.message());
        else r.removed.push_back("pin " + l.path);
        break;
    }
  }
  // Run records of dead runs: first the report from the journal a record names (its completed
  // runs, measured before the run died), then the record itself.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kRunStateDir, ec)) {
    std::string id = e.path().filename();
    if (run_alive(id)) continue;
    std::string pid, journal;
    {
      std::ifstream in(e.path());
      std::getline(in, pid);
      std::getline(in, journal);
    }
    if (!journal.empty() && fs::exists(journal, ec)) recover_journal(journal, r);
    fs::remove(e.path(), ec);
  }
  return r;
}

}  // namespace benchlab
