// Helpers the privileged BPF tests share: the root guard, a shell command's output, and counter
// arithmetic for before/after deltas.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "benchlab/core/datapath.hpp"
#include "benchlab/core/results.hpp"

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root: loads BPF, creates namespaces and cgroups"

namespace benchlab::bpf::testing {

// stdout and stderr of `cmd` (bpftool, ip), "" if it cannot start.
inline std::string output_of(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

// a - b per counter (b's missing counters count as 0).
inline Counters minus(const Counters& a, const Counters& b) {
  Counters d;
  for (const auto& [k, v] : a) d[k] = v - (b.count(k) ? b.at(k) : 0);
  return d;
}

// "k=v k=v ..." for failure messages.
inline std::string dump(const Counters& c) {
  std::string s;
  for (const auto& [k, v] : c) s += k + "=" + std::to_string(v) + " ";
  return s;
}

// A WorkloadResult of one measured sample carrying `bytes`, as the engagement check reads it.
inline WorkloadResult one_sample(uint64_t bytes) {
  WorkloadResult r;
  IntervalSample s;
  s.duration_s = 1;
  s.bytes = bytes;
  r.samples.push_back(s);
  return r;
}

}  // namespace benchlab::bpf::testing
