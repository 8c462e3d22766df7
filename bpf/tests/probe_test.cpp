// The BPF build path end to end: vmlinux.h, clang -target bpf, skeleton, load, and a run through
// BPF_PROG_TEST_RUN whose verdict and side effect (the per-CPU counter) we check.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include "benchlab/bpf/libbpf_log.hpp"
#include "benchlab/bpf/probes.hpp"
#include "probe.skel.h"

namespace {

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root: loads BPF programs into the kernel"

uint64_t sum_runs(const probe* skel) {
  int ncpu = libbpf_num_possible_cpus();
  EXPECT_GT(ncpu, 0);
  std::vector<uint64_t> per_cpu(size_t(ncpu), 0);
  uint32_t key = 0;
  int err = bpf_map__lookup_elem(skel->maps.runs, &key, sizeof key, per_cpu.data(),
                                 per_cpu.size() * sizeof(uint64_t), 0);
  EXPECT_EQ(err, 0);
  uint64_t sum = 0;
  for (uint64_t v : per_cpu) sum += v;
  return sum;
}

TEST(Probe, LoadsAndCountsUnderTestRun) {
  REQUIRE_ROOT();
  benchlab::bpf::set_libbpf_verbose(false);
  probe* skel = probe__open_and_load();
  ASSERT_NE(skel, nullptr) << "probe__open_and_load failed, errno " << errno;

  uint64_t before = sum_runs(skel);

  // Ethernet + IPv4 header bytes; XDP test runs need at least an Ethernet header.
  std::array<uint8_t, 64> pkt{};
  pkt[12] = 0x08;   // ethertype IPv4
  pkt[14] = 0x45;
  constexpr int kRepeat = 3;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt.data(), .data_size_in = pkt.size(),
              .repeat = kRepeat);
  int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.probe_xdp), &opts);
  EXPECT_EQ(err, 0);
  EXPECT_EQ(opts.retval, uint32_t(XDP_PASS));
  EXPECT_EQ(sum_runs(skel) - before, uint64_t(kRepeat));

  probe__destroy(skel);
}

TEST(Probe, SupportProbesAnswer) {
  REQUIRE_ROOT();
  auto s = benchlab::bpf::probe_bpf();
  EXPECT_TRUE(s.ok) << s.reason;
  for (auto probe : {benchlab::bpf::probe_sockops, benchlab::bpf::probe_sk_msg,
                     benchlab::bpf::probe_sk_skb, benchlab::bpf::probe_cgroup_v2}) {
    auto r = probe();
    EXPECT_TRUE(r.ok) << r.reason;
  }
}

TEST(Probe, UnprivilegedGetsAReason) {
  REQUIRE_ROOT();
  // Drop to an unprivileged uid in a child so the answer names the missing privilege.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(3);
    auto s = benchlab::bpf::probe_bpf();
    if (s.ok) _exit(1);
    _exit(s.reason.find("root") != std::string::npos ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: probe said ok unprivileged; 2: reason lacks 'root'";
}

}  // namespace
