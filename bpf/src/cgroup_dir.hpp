// A cgroup v2 directory this process created, removed again when the object dies.
#pragma once

#include <string>

namespace benchlab::bpf {

// The cgroup a run's datapath creates for its workload: <root>/bl-<run_id>-<suffix> (run ids
// may already carry the "bl-" prefix). Throws RunError, naming `who`, for a run id that cannot
// name a directory.
std::string run_cgroup_path(const std::string& run_id, const std::string& suffix, const std::string& who);

class CgroupDir {
 public:
  // mkdir(path) under a cgroup v2 mount; throws RunError if it exists (a crashed run's leftover,
  // which `benchlab cleanup` removes) or cannot be made.
  explicit CgroupDir(std::string path);
  // Moves any process still inside back to the parent cgroup, then removes the directory.
  ~CgroupDir();
  CgroupDir(const CgroupDir&) = delete;
  CgroupDir& operator=(const CgroupDir&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }   // O_DIRECTORY fd, for attaching programs

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace benchlab::bpf
