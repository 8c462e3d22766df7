// Helpers shared by the privileged netns tests.
#pragma once

#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "benchlab/netns/netns.hpp"

namespace benchlab::netns::test {

#define BL_REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces and veth pairs"

// Unique per process and call, short enough that derived link names stay readable.
inline std::string unique_id() {
  static std::atomic<unsigned> seq{0};
  char buf[32];
  std::snprintf(buf, sizeof buf, "t%x%02x", unsigned(getpid()), seq++ & 0xffu);
  return buf;
}

// Interface names of the calling thread's namespace.
inline std::set<std::string> link_names() {
  std::set<std::string> out;
  if (struct if_nameindex* idx = ::if_nameindex()) {
    for (struct if_nameindex* p = idx; p->if_index != 0; ++p) out.insert(p->if_name);
    ::if_freenameindex(idx);
  }
  return out;
}

inline bool netns_file_exists(const std::string& name) {
  struct stat st;
  return lstat((std::string(kNetnsDir) + "/" + name).c_str(), &st) == 0;
}

// Inode of the calling thread's network namespace.
inline ino_t current_netns_inode() {
  struct stat st;
  if (stat("/proc/thread-self/ns/net", &st) != 0) return 0;
  return st.st_ino;
}

}  // namespace benchlab::netns::test
