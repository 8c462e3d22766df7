// A cgroup v2 directory this process created, removed again when the object dies.
#pragma once

#include <string>

namespace benchlab::bpf {

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
