// Helpers shared by this folder's sources; not part of benchlab_bpf's public interface.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>
#include <thread>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "benchlab/core/error.hpp"

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

// Sums entry `key` of a per-CPU array map over every possible CPU, field by field. T is one of
// the counter records shared with BPF (bpf/include/benchlab/bpf/*.h): nothing but __u64 fields,
// padding included, so it is summed as an array of u64. Throws SystemError naming `who`.
template <class T>
T sum_percpu(int map_fd, uint32_t key, const std::string& who) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % sizeof(uint64_t) == 0,
                "per-CPU counter records are arrays of __u64");
  constexpr size_t kWords = sizeof(T) / sizeof(uint64_t);
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) throw SystemError(who + ": libbpf_num_possible_cpus", -ncpu);
  std::vector<T> per_cpu(static_cast<size_t>(ncpu));
  if (bpf_map_lookup_elem(map_fd, &key, per_cpu.data()) != 0) throw SystemError(who + ": reading counters", errno);
  std::array<uint64_t, kWords> sum{}, one;
  for (const T& c : per_cpu) {
    std::memcpy(one.data(), &c, sizeof(T));
    for (size_t i = 0; i < kWords; ++i) sum[i] += one[i];
  }
  T out;
  std::memcpy(&out, sum.data(), sizeof(T));
  return out;
}

// Installs benchlab's libbpf print callback (quiet unless set_libbpf_verbose(true)). Every
// entry point that opens a skeleton calls it, so libbpf never prints on its own.
void install_libbpf_log();

// "EPERM (Operation not permitted)" for a positive or negative errno.
std::string errno_text(int err);

// A failed step of loading or attaching `who`'s programs: UnsupportedError for EPERM (a missing
// privilege), else RunError ("who: step failed: ..."). err: positive or negative errno.
[[noreturn]] void throw_load_error(const std::string& who, const std::string& step, int err);

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
