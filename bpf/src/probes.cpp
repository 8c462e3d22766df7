// Probes answer "can this run work here?" before anything is created, so `benchlab list` and the
// scenario validator can record a skip with a reason instead of failing mid-run.
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "benchlab/bpf/probes.hpp"
#include "benchlab/core/system_paths.hpp"
#include "benchlab/core/error.hpp"
#include "internal.hpp"
#include "probe.skel.h"

namespace benchlab::bpf {

std::string errno_text(int err) {
  if (err < 0) err = -err;
  const char* name = strerrorname_np(err);
  return std::string(name ? name : "errno " + std::to_string(err)) + " (" + std::strerror(err) + ")";
}

void throw_load_error(const std::string& who, const std::string& step, int err) {
  if (err < 0) err = -err;
  // EPERM is a missing privilege; EACCES from a load is the verifier saying no, which is a bug
  // in our program (or a kernel that lacks something the probes did not check), not a skip.
  if (err == EPERM)
    throw UnsupportedError(who + ": " + step + " failed: " + errno_text(err) + "; needs root (CAP_BPF, CAP_NET_ADMIN)");
  throw RunError(who + ": " + step + " failed: " + errno_text(err) + " (rerun with --verbose for libbpf's log)");
}

uint64_t socket_cookie(int fd, const std::string& who) {
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0) throw SystemError(who + ": getsockopt(SO_COOKIE)", errno);
  return cookie;
}

Support probe_bpf() {
  install_libbpf_log();
  probe* skel = probe__open();
  if (!skel) {
    int err = errno;
    return {false, "cannot open the probe BPF object: " + errno_text(err)};
  }
  int err = probe__load(skel);
  probe__destroy(skel);
  if (err == 0) return {};
  // EPERM: no privilege. (EACCES would be the verifier rejecting the program: a real error.)
  if (err == -EPERM)
    return {false, "this process may not load BPF programs: " + errno_text(err) +
                       "; run as root (or with CAP_BPF and CAP_NET_ADMIN)"};
  if (err == -ENOSYS) return {false, "this kernel has no bpf() system call (CONFIG_BPF_SYSCALL=n)"};
  return {false, "loading the probe BPF program failed: " + errno_text(err) +
                     " (rerun with --verbose for libbpf's log)"};
}

namespace {

Support probe_prog_type(bpf_prog_type type, const char* what) {
  Support base = probe_bpf();
  if (!base.ok) return base;   // otherwise a missing privilege would read as a missing feature
  install_libbpf_log();
  int r = libbpf_probe_bpf_prog_type(type, nullptr);
  if (r == 1) return {};
  if (r == 0) return {false, std::string("this kernel cannot load ") + what + " programs"};
  return {false, std::string("probing ") + what + " programs failed: " + errno_text(r)};
}

}  // namespace

Support probe_sockops() { return probe_prog_type(BPF_PROG_TYPE_SOCK_OPS, "sockops"); }
Support probe_sk_msg() { return probe_prog_type(BPF_PROG_TYPE_SK_MSG, "sk_msg"); }
Support probe_sk_skb() { return probe_prog_type(BPF_PROG_TYPE_SK_SKB, "sk_skb"); }

Support probe_cgroup_v2() {
  struct statfs st {};
  if (statfs(kCgroupRoot, &st) != 0)
    return {false, std::string("cgroup v2 is not mounted at ") + kCgroupRoot + ": " + errno_text(errno)};
  if (st.f_type != CGROUP2_SUPER_MAGIC)
    return {false, std::string(kCgroupRoot) + " is not a cgroup v2 mount (mount -t cgroup2 none " +
                       kCgroupRoot + ")"};
  if (access(kCgroupRoot, W_OK) != 0)
    return {false, std::string("cannot create cgroups under ") + kCgroupRoot + ": " + errno_text(errno)};
  return {};
}

}  // namespace benchlab::bpf
