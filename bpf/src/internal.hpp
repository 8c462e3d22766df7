// Helpers shared by this folder's sources; not part of benchlab_bpf's public interface.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

namespace benchlab::bpf {

// A program attached to a sockmap/sockhash (BPF_PROG_ATTACH with the map as target), detached
// when this object goes. Neither copyable nor assignable: an assignment from a temporary
// (`a = {prog, map, type}`) would run the temporary's destructor and detach the program at
// once, leaving every socket inserted later without its verdict (the ASan build did exactly that).
class MapProgAttachment {
 public:
  MapProgAttachment() = default;
  MapProgAttachment(const MapProgAttachment&) = delete;
  MapProgAttachment& operator=(const MapProgAttachment&) = delete;
  ~MapProgAttachment() {
    if (prog_fd_ >= 0) bpf_prog_detach2(prog_fd_, map_fd_, type_);
  }
  // Attaches once; false with errno set on failure (nothing is then held).
  bool attach(int prog_fd, int map_fd, bpf_attach_type type) {
    if (prog_fd_ >= 0 || bpf_prog_attach(prog_fd, map_fd, type, 0) != 0) return false;
    prog_fd_ = prog_fd, map_fd_ = map_fd, type_ = type;
    return true;
  }

 private:
  int prog_fd_ = -1, map_fd_ = -1;
  bpf_attach_type type_{};
};

// Installs benchlab's libbpf print callback (quiet unless set_libbpf_verbose(true)). Every
// entry point that opens a skeleton calls it, so libbpf never prints on its own.
void install_libbpf_log();

// "EPERM (Operation not permitted)" for a positive or negative errno.
std::string errno_text(int err);

// A socket's cookie (SO_COOKIE): what a user-space lookup of a sockhash returns for it.
uint64_t socket_cookie(int fd, const std::string& who);

// The readiness barriers' wait: calls `ready` until it holds (true) or `timeout` has passed
// (false), sleeping 50 µs at first and doubling up to 5 ms between tries.
inline bool poll_with_backoff(const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(5000));
  }
}

// A program attached to a cgroup through a bpf_link, detached and destroyed when this goes (even
// if a forked workload child still holds a copy of the link's fd).
class CgroupLinkAttachment {
 public:
  CgroupLinkAttachment() = default;
  CgroupLinkAttachment(const CgroupLinkAttachment&) = delete;
  CgroupLinkAttachment& operator=(const CgroupLinkAttachment&) = delete;
  ~CgroupLinkAttachment() {
    if (!link_) return;
    bpf_link_detach(bpf_link__fd(link_));
    bpf_link__destroy(link_);
  }
  // Attaches once; false with errno set on failure.
  bool attach(bpf_program* prog, int cgroup_fd) {
    if (link_) return false;
    link_ = bpf_program__attach_cgroup(prog, cgroup_fd);
    return link_ != nullptr;
  }

 private:
  bpf_link* link_ = nullptr;
};

}  // namespace benchlab::bpf
