// udp_flood on a real veth-packet topology: the kernel baseline with the sendmmsg engine, the
// live-frames engine into xdp-drop and xdp-pass (native and generic), every frame accounted for;
// the silent-loss configuration refused; after teardown nothing is left on (no XDP program on any
// interface, no BPF statistics, threaded NAPI as it was). Short runs: sanity bounds only.
#include <unistd.h>

#include <gtest/gtest.h>

#include "benchlab/bpf/xdp.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/netns/packet.hpp"
#include "benchlab/netns/topology.hpp"
#include "benchlab/workloads/udp_flood.hpp"

namespace benchlab::workloads {
namespace {

#define BL_REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates namespaces, veth pairs and XDP programs"

class NoDatapath final : public Datapath {
 public:
  std::string name() const override { return "kernel"; }
};

std::string run_id() {
  static int seq = 0;
  return "uf" + std::to_string(getpid()) + "x" + std::to_string(seq++);
}

std::unique_ptr<Topology> topo(bool gro = true, Family f = Family::ipv4) {
  TopologyOptions o;
  o.run_id = run_id();
  o.family = f;
  return netns::make_veth_packet(o, gro);
}

const WorkloadRegistry& workloads() {
  static const WorkloadRegistry reg = [] {
    WorkloadRegistry r;
    register_udp_flood(r);
    return r;
  }();
  return reg;
}

OptionValues options(const std::string& engine, double rate = 0) {
  OptionValues v = OptionValues::defaults(workloads().find("udp_flood")->options);
  v.set("engine", engine);
  v.set("rate_pps", rate);
  return v;
}

// Runs udp_flood as the runner does: window hooks and the whole-run snapshot read the datapath's
// counters and every interface's; *window gets their change over the measured window.
WorkloadResult run_flood(const Topology& t, const Datapath& dp, const OptionValues& opts, int64_t size = 64,
                         double duration = 0.5, WindowCounters* window = nullptr) {
  const Cell cell = packet_cell(size, 2, "cross-core");
  const CpuAssignment cpus = assign_cpus(CpuPlacement::cross_core, int(sysconf(_SC_NPROCESSORS_ONLN)));
  WorkloadContext ctx{t, cell, opts, dp, cpus, 0.2, duration, {}, false};
  auto snapshot = [&] {
    WindowCounters w{dp.read_counters(), {}};
    for (const Endpoint* e : t.interfaces()) w.links.push_back(netns::read_link_counters(*e));
    return w;
  };
  WindowCounters begin, end;
  ctx.hooks.snapshot = snapshot;
  ctx.hooks.begin = [&] { begin = snapshot(); };
  ctx.hooks.end = [&] { end = snapshot(); };
  auto wl = workloads().find("udp_flood")->factory();
  WorkloadResult r = wl->run(ctx);
  if (window) *window = {counter_delta(begin.datapath, end.datapath), link_delta(begin.links, end.links)};
  return r;
}

void expect_accounted(const WorkloadResult& r) {
  auto x = [&](const char* k) { return r.extra.count(k) ? r.extra.at(k) : -1.0; };
  EXPECT_EQ(r.failure, "");
  EXPECT_EQ(x("acct_ok"), 1.0);
  EXPECT_GT(x("acct_generated"), 1000);
  EXPECT_EQ(x("acct_generated"), x("generated_frames"));
  EXPECT_TRUE(r.payload_checked);
  EXPECT_EQ(r.payload_errors, 0u);
  EXPECT_EQ(x("dut_napi_threads"), 1.0) << "the DUT's NAPI ran threaded";
}

TEST(UdpFlood, KernelBaselineWithSendmmsgAtAFixedRate) {
  BL_REQUIRE_ROOT();
  auto t = topo();
  NoDatapath kernel;
  const WorkloadResult r = run_flood(*t, kernel, options("sendmmsg", 50'000));
  expect_accounted(r);
  const double pps = r.extra.at("generated_pps");
  EXPECT_GT(pps, 10'000) << "paced at 50 kpps (a generous floor: the CPUs are shared)";
  EXPECT_LT(pps, 55'000) << "the token bucket holds the rate";
  EXPECT_EQ(r.extra.at("dut_received"), r.extra.at("acct_handled")) << "the kernel handles through its socket";
  uint64_t measured = 0;
  for (const IntervalSample& s : r.samples)
    if (!s.warmup && !s.cooldown) measured += s.packets;
  EXPECT_GT(measured, 10'000u);
  EXPECT_FALSE(netns::napi_threaded(*find_endpoint(*t, "dut"))) << "threaded NAPI is back as it was";
}

TEST(UdpFlood, Ipv6KernelBaseline) {
  BL_REQUIRE_ROOT();
  auto t = topo(true, Family::ipv6);
  NoDatapath kernel;
  expect_accounted(run_flood(*t, kernel, options("sendmmsg", 50'000), 1500));
}

TEST(UdpFlood, DutWithoutNapiIsRefused) {
  BL_REQUIRE_ROOT();
  auto t = topo(false);
  NoDatapath kernel;
  try {
    run_flood(*t, kernel, options("live-frames"));
    FAIL() << "a DUT without NAPI would lose XDP_TX frames silently";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("has no NAPI"), std::string::npos) << e.what();
  }
}

struct XdpCase {
  bpf::XdpAction action;
  bpf::XdpAttachMode mode;
};

class UdpFloodXdp : public ::testing::TestWithParam<XdpCase> {};

TEST_P(UdpFloodXdp, EngagedAndAccountedInALiveFramesRun) {
  BL_REQUIRE_ROOT();
  if (!bpf::xdp_live_frames_supported()) GTEST_SKIP() << "no BPF_F_TEST_XDP_LIVE_FRAMES here";
  const XdpCase c = GetParam();
  auto t = topo();
  const Endpoint& dut = *find_endpoint(*t, "dut");
  {
    bpf::XdpActionDatapath dp(dut, {c.action, c.mode, c.action == bpf::XdpAction::drop ? "xdp-drop" : "xdp-pass"});
    EXPECT_EQ(dp.attributes().at("attach_mode"), bpf::to_string(c.mode));
    const Counters before = dp.read_counters();
    WindowCounters window;
    const WorkloadResult r = run_flood(*t, dp, options("live-frames"), 64, 0.8, &window);
    expect_accounted(r);
    const Engagement eng = dp.check_engagement(window, r);
    EXPECT_TRUE(eng.checked);
    EXPECT_TRUE(eng.ok) << eng.message;
    const Counters d = counter_delta(before, dp.read_counters());
    const std::string verdict = std::string("xdp_") + bpf::to_string(c.action) + "_packets";
    EXPECT_GT(counter_or_zero(d, verdict), 1000u) << "the program gave its verdict";
    if (c.action == bpf::XdpAction::drop) {
      EXPECT_EQ(r.extra.at("acct_handled"), double(counter_or_zero(d, "xdp_drop_packets")));
      EXPECT_EQ(r.extra.at("dut_received"), 0.0) << "nothing dropped in XDP reaches the socket";
    } else {
      EXPECT_GT(r.extra.at("dut_received"), 1000.0) << "XDP_PASS delivers to the DUT's socket";
    }
  }
  bpf::XdpIfaceState st;
  dut.ns->run_in([&] { st = bpf::query_xdp(dut.ifindex); });
  EXPECT_TRUE(st.empty()) << "no XDP program left on the DUT";
  EXPECT_FALSE(netns::napi_threaded(dut));
}

INSTANTIATE_TEST_SUITE_P(, UdpFloodXdp,
                         ::testing::Values(XdpCase{bpf::XdpAction::drop, bpf::XdpAttachMode::native},
                                           XdpCase{bpf::XdpAction::drop, bpf::XdpAttachMode::generic},
                                           XdpCase{bpf::XdpAction::pass, bpf::XdpAttachMode::native},
                                           XdpCase{bpf::XdpAction::pass, bpf::XdpAttachMode::generic}),
                         [](const auto& i) {
                           return std::string(bpf::to_string(i.param.action)) + "_" + bpf::to_string(i.param.mode);
                         });

TEST(UdpFlood, BpfStatisticsAreOffAfterTheirScope) {
  BL_REQUIRE_ROOT();
  const int before = bpf::open_bpf_stats_fds();
  {
    bpf::BpfRunStats on;
    EXPECT_EQ(bpf::open_bpf_stats_fds(), before + 1);
  }
  EXPECT_EQ(bpf::open_bpf_stats_fds(), before) << "no BPF statistics fd is left open";
  EXPECT_EQ(before, 0);
}

}  // namespace
}  // namespace benchlab::workloads
