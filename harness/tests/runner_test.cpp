// The runner decides a run's status from what its workload returned: a tcp_stream whose payload
// check a datapath corrupted comes back as data (samples and a reason), and the runner records a
// failed run with that reason and those samples. Privileged: it builds a loopback namespace.
#include <unistd.h>

#include <gtest/gtest.h>

#include "benchlab/bpf/xdp.hpp"
#include "benchlab/builtin_registries.hpp"
#include "benchlab/netns/netns.hpp"
#include "benchlab/netns/topology.hpp"
#include "benchlab/runner.hpp"
#include "benchlab/scenario.hpp"
#include "benchlab/workloads/tcp.hpp"
#include "benchlab/workloads/tcp_common.hpp"
#include "forwarding_datapaths.hpp"

namespace benchlab {
namespace {

// loopback, a datapath that flips one byte of tcp_stream's payload check (its load goes
// straight to the server), and tcp_stream.
Registries tampering_registries() {
  Registries r;
  r.topologies.add({.name = "loopback", .description = "", .options = {},
                    .factory = [](const TopologyOptions& o, const OptionValues&) { return netns::make_loopback(o); }});
  r.datapaths.add({.name = "tamper", .description = "", .options = {},
                   .factory = [](const DatapathContext&) -> std::unique_ptr<Datapath> {
                     return std::make_unique<testing::TamperingDatapath>(testing::Tamper::flip_byte, /*direct=*/1);
                   },
                   .traffic = {"stream"},
                   .baseline_of = {"stream"}});   // the only datapath: it must be the baseline
  workloads::register_tcp_stream(r.workloads);
  return r;
}

TEST(Runner, AWorkloadsFailureFailsTheRunWithItsReasonAndKeepsItsSamples) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
  const Registries reg = tampering_registries();
  const ScenarioSpec spec = parse_scenario(
      "name = 'tampered'\nworkloads = ['tcp_stream']\ndatapaths = ['tamper']\n"
      "warmup_s = 0.5\nduration_s = 0.5\nrepetitions = 1\n",
      "tampered.toml", reg);
  const reports::Report report = run_scenario(spec, reg, {});
  ASSERT_EQ(report.runs.size(), 1u);
  const reports::RunRecord& run = report.runs[0];
  EXPECT_EQ(run.status, reports::RunStatus::failed);
  EXPECT_EQ(run.error, "tcp_stream: payload check: 1 reads differed from what was sent (first at flow 0 byte " +
                           std::to_string(testing::kAt - workloads::kSeedBytes) + ")");
  EXPECT_EQ(run.error, run.result.failure);
  ASSERT_FALSE(run.result.samples.empty());
  uint64_t bytes = 0;
  for (const auto& s : run.result.samples) bytes += s.bytes;
  EXPECT_GT(bytes, 0u);
  EXPECT_EQ(run.result.payload_errors, 1u);
  EXPECT_FALSE(run.cpu_end.per_cpu.empty());   // the window hooks ran
}

// A packet cell through the real registry: the kernel baseline and xdp-drop (native) with the
// live-frames engine, the generator-alone pass and the program-cost pass; every run accounted
// for, the datapath's attributes in the record, and nothing left afterwards (no namespace, no
// BPF statistics fd).
TEST(Runner, PacketCellRunsItsPassesAndLeavesNothing) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces and load XDP";
  if (!bpf::xdp_live_frames_supported()) GTEST_SKIP() << "no BPF_F_TEST_XDP_LIVE_FRAMES here";
  const Registries& reg = builtin_registries();
  const ScenarioSpec spec = parse_scenario(
      "name = 'packets'\nworkloads = ['udp_flood']\ndatapaths = ['xdp-drop']\n"
      "warmup_s = 0.2\nduration_s = 0.3\nrepetitions = 1\n"
      "[topology]\nkind = 'veth-packet'\n[matrix]\nattach_mode = ['native']\n",
      "packets.toml", reg);
  const reports::Report report = run_scenario(spec, reg, {});
  ASSERT_EQ(report.runs.size(), 2u);
  for (const reports::RunRecord& run : report.runs) {
    SCOPED_TRACE(run.variant);
    EXPECT_EQ(run.status, reports::RunStatus::ok) << run.error;
    EXPECT_EQ(run.result.extra.at("acct_ok"), 1.0);
    EXPECT_GT(run.result.extra.at("generator_alone_pps"), 0.0) << "the generator alone was measured";
    EXPECT_TRUE(run.result.extra.count("generator_bound"));
  }
  const reports::RunRecord& xdp = report.runs[1];
  EXPECT_EQ(xdp.variant, "xdp-drop[native]");
  EXPECT_EQ(xdp.attributes.at("attach_mode"), "native");
  EXPECT_TRUE(xdp.attributes.count("xdp_legacy_mode"));
  EXPECT_FALSE(xdp.attributes.count("prog_cost_error")) << xdp.attributes.at("prog_cost_error");
  EXPECT_GT(xdp.result.extra.at("prog_ns_per_packet"), 0.0) << "the program-cost pass ran";
  EXPECT_FALSE(report.runs[0].result.extra.count("prog_ns_per_packet")) << "the kernel has no program";
  EXPECT_EQ(bpf::open_bpf_stats_fds(), 0) << "no BPF statistics fd is left open";
  EXPECT_TRUE(netns::list_benchlab_netns().empty());
}

}  // namespace
}  // namespace benchlab
