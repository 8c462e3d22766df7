// Micro-benchmark: every XDP program on every row of the packet table (bpf/tests/packet_table),
// timed by the kernel through BPF_PROG_TEST_RUN (its `duration`: the average ns per run over
// `repeat` runs, without the syscall). Needs root. Not part of the test suite:
//   sudo ./build/bpf/bench/xdp_table_bench [--benchmark_filter=xdp-drop/ipv4]
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "packet_table.hpp"
#include "xdp_actions.skel.h"

namespace {

using benchlab::bpf::testing::PacketRow;

struct Program {
  const char* name;
  uint32_t verdict;
};
constexpr Program kPrograms[] = {{"xdp-drop", XDP_DROP}, {"xdp-pass", XDP_PASS}};

std::shared_ptr<xdp_actions> load(uint32_t verdict) {
  xdp_actions* s = xdp_actions__open();
  if (!s) return nullptr;
  s->rodata->action = verdict;
  if (xdp_actions__load(s) != 0) {
    xdp_actions__destroy(s);
    return nullptr;
  }
  return {s, xdp_actions__destroy};
}

void run_row(benchmark::State& state, std::shared_ptr<xdp_actions> skel, const PacketRow* row, uint32_t want) {
  constexpr int kRepeat = 10000;
  const int fd = bpf_program__fd(skel->progs.xdp_action);
  double ns = 0;
  for (auto _ : state) {
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = row->frame.data(), .data_size_in = uint32_t(row->frame.size()),
                .repeat = kRepeat);
    if (bpf_prog_test_run_opts(fd, &o) != 0 || o.retval != want) {
      state.SkipWithError("BPF_PROG_TEST_RUN failed or returned the wrong verdict");
      return;
    }
    state.SetIterationTime(double(o.duration) * kRepeat * 1e-9);
    ns = o.duration;
  }
  state.counters["ns_per_packet"] = ns;
  state.SetItemsProcessed(int64_t(state.iterations()) * kRepeat);
}

}  // namespace

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "xdp_table_bench: needs root (loads BPF programs)\n");
    return 4;
  }
  for (const Program& p : kPrograms) {
    auto skel = load(p.verdict);
    if (!skel) {
      std::fprintf(stderr, "xdp_table_bench: loading %s failed\n", p.name);
      return 1;
    }
    for (const PacketRow& row : benchlab::bpf::testing::packet_table())
      benchmark::RegisterBenchmark((std::string(p.name) + "/" + row.name).c_str(), run_row, skel, &row,
                                   row.expect.at(p.name).verdict)
          ->UseManualTime();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
