#include "cgroup_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include "benchlab/core/system_paths.hpp"
#include "benchlab/core/error.hpp"
#include "internal.hpp"

namespace benchlab::bpf {

std::string run_cgroup_path(const std::string& run_id, const std::string& suffix, const std::string& who) {
  if (run_id.empty() || run_id.find('/') != std::string::npos || run_id == "." || run_id == "..")
    throw RunError(who + ": run id '" + run_id + "' cannot name a cgroup");
  std::string base = run_id.rfind("bl-", 0) == 0 ? run_id : "bl-" + run_id;
  return std::string(kCgroupRoot) + "/" + base + "-" + suffix;
}

CgroupDir::CgroupDir(std::string path) : path_(std::move(path)) {
  if (::mkdir(path_.c_str(), 0755) != 0) {
    int err = errno;
    if (err == EEXIST)
      throw RunError("cgroup " + path_ + " already exists (left by a crashed run? `benchlab cleanup` removes it)");
    throw RunError("cannot create cgroup " + path_ + ": " + errno_text(err));
  }
  fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    ::rmdir(path_.c_str());
    throw RunError("cannot open cgroup " + path_ + ": " + errno_text(err));
  }
}

namespace {

std::vector<std::string> procs_of(const std::string& dir) {
  std::vector<std::string> pids;
  std::ifstream in(dir + "/cgroup.procs");
  for (std::string pid; in >> pid;) pids.push_back(pid);
  return pids;
}

}  // namespace

CgroupDir::~CgroupDir() {
  if (fd_ >= 0) ::close(fd_);
  std::string parent = path_.substr(0, path_.find_last_of('/'));
  // Workload children have exited by now; anything left is moved out rather than killed,
  // because it is not ours to kill. An exiting task can keep the cgroup busy for a moment.
  for (int attempt = 0; attempt < 100; ++attempt) {
    for (const auto& pid : procs_of(path_)) {
      std::ofstream out(parent + "/cgroup.procs");
      out << pid << std::flush;
    }
    if (::rmdir(path_.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::fprintf(stderr, "benchlab: warning: cannot remove cgroup %s: %s\n", path_.c_str(),
               errno_text(errno).c_str());
}

}  // namespace benchlab::bpf
