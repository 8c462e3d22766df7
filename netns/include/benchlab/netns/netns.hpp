// Network namespaces owned by benchlab. A Netns is created with a unique name (prefix "bl-"),
// bind-mounted at /run/netns/<name> so that `ip netns` and `benchlab cleanup` can see it, and
// removed by its destructor. Code runs inside it only through run_in(), which performs setns()
// on a dedicated short-lived thread, never on the caller's thread (see cilium/ebpf netns_linux.go).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "benchlab/core/topology.hpp"

namespace benchlab::netns {

inline constexpr const char* kNetnsDir = "/run/netns";
inline constexpr const char* kNamePrefix = "bl-";

class Netns final : public NetNamespace {
 public:
  // Creates a fresh namespace named `name` (must start with kNamePrefix), with `lo` up.
  static std::unique_ptr<Netns> create(const std::string& name);
  ~Netns() override;
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const override { return name_; }
  int fd() const override { return fd_; }   // usable with setns(fd, CLONE_NEWNET)
  void run_in(const std::function<void()>& fn) const override;

 private:
  Netns(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  std::string name_;
  int fd_;
};

// Removes a namespace bind mount left by a crashed run. Returns 0 or -errno (-EINVAL for a
// name without kNamePrefix: benchlab never removes namespaces it does not own).
int remove_named_netns(const std::string& name);

// Names in kNetnsDir that start with kNamePrefix, sorted: live or left over by a crashed run.
std::vector<std::string> list_benchlab_netns();

}  // namespace benchlab::netns
