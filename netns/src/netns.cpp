#include "benchlab/netns/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

#include "benchlab/core/error.hpp"
#include "rtnl.hpp"

namespace benchlab::netns {

namespace {

std::string ns_path(const std::string& name) { return std::string(kNetnsDir) + "/" + name; }

bool has_prefix(const std::string& name) { return name.rfind(kNamePrefix, 0) == 0; }

// A name becomes a file in /run/netns and part of error lines: keep it to a safe alphabet.
void check_name(const std::string& name) {
  std::string why;
  if (!has_prefix(name) || name.size() == std::char_traits<char>::length(kNamePrefix))
    why = std::string("must start with '") + kNamePrefix + "' and name something";
  else if (name.size() > NAME_MAX)
    why = "longer than " + std::to_string(NAME_MAX) + " characters";
  else if (!std::all_of(name.begin(), name.end(), [](char c) {
             return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
           }))
    why = "only letters, digits, '-', '_' and '.' are allowed";
  if (!why.empty()) throw RunError("netns name '" + name + "': " + why);
}

// Undoes the bind mount and its mount point; returns 0 or -errno of the first real failure.
int unmount_and_unlink(const std::string& path) {
  int rc = 0;
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) rc = -errno;
  if (unlink(path.c_str()) != 0 && errno != ENOENT && rc == 0) rc = -errno;
  return rc;
}

}  // namespace

std::unique_ptr<Netns> Netns::create(const std::string& name) {
  check_name(name);
  if (mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST)
    throw SystemError(std::string("mkdir ") + kNetnsDir, errno);

  const std::string path = ns_path(name);
  // O_EXCL: a name already in use (a live run or a leftover) is an error, never reused.
  int mp = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (mp < 0) throw SystemError("create " + path, errno);
  close(mp);

  // unshare() switches only the calling thread; doing it on a throwaway thread leaves the
  // caller in its own namespace whatever happens. The bind mount keeps the namespace alive
  // after that thread exits.
  int fd = -1;
  bool mounted = false;
  std::exception_ptr failure;
  try {
    std::thread([&] {
      try {
        if (unshare(CLONE_NEWNET) != 0) throw SystemError("unshare(CLONE_NEWNET) for " + name, errno);
        const std::string self = "/proc/self/task/" + std::to_string(gettid()) + "/ns/net";
        if (mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0)
          throw SystemError("bind mount " + self + " on " + path, errno);
        mounted = true;
        fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw SystemError("open " + path, errno);
        rtnl::Socket sock;
        rtnl::set_link_up(sock, "lo", false);
      } catch (...) {
        failure = std::current_exception();
      }
    }).join();
  } catch (...) {   // the thread itself could not be started
    failure = std::current_exception();
  }

  if (failure) {
    if (fd >= 0) close(fd);
    if (mounted) umount2(path.c_str(), MNT_DETACH);
    unlink(path.c_str());
    std::rethrow_exception(failure);
  }
  return std::unique_ptr<Netns>(new Netns(name, fd));
}

Netns::~Netns() {
  if (int rc = unmount_and_unlink(ns_path(name_)); rc < 0)
    std::fprintf(stderr, "benchlab: removing netns %s: %s\n", name_.c_str(), std::strerror(-rc));
  if (fd_ >= 0) close(fd_);
}

void Netns::run_in(const std::function<void()>& fn) const {
  std::exception_ptr failure;
  std::thread([&] {
    try {
      if (setns(fd_, CLONE_NEWNET) != 0) throw SystemError("setns into " + name_, errno);
      fn();
    } catch (...) {
      failure = std::current_exception();
    }
  }).join();
  if (failure) std::rethrow_exception(failure);
}

int remove_named_netns(const std::string& name) {
  if (!has_prefix(name) || name.find('/') != std::string::npos || name == "." || name == "..")
    return -EINVAL;
  const std::string path = ns_path(name);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return -errno;   // -ENOENT: nothing to remove
  return unmount_and_unlink(path);
}

std::vector<std::string> list_benchlab_netns() {
  std::vector<std::string> names;
  DIR* d = opendir(kNetnsDir);
  if (!d) {
    if (errno == ENOENT) return names;
    throw SystemError(std::string("opendir ") + kNetnsDir, errno);
  }
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (has_prefix(n)) names.push_back(std::move(n));
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace benchlab::netns
