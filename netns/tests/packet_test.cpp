// The packet topology: generator/dut roles, GRO (and so NAPI) on the DUT end, threaded NAPI
// pinned and put back as it was, and the driver's per-queue statistics.
#include <sched.h>

#include <gtest/gtest.h>

#include "benchlab/core/error.hpp"
#include "benchlab/netns/packet.hpp"
#include "benchlab/netns/topology.hpp"
#include "test_util.hpp"

namespace benchlab::netns {
namespace {

std::unique_ptr<Topology> packet_topo(bool gro) {
  TopologyOptions o;
  o.run_id = test::unique_id();
  return make_veth_packet(o, gro);
}

TEST(PacketTopology, RolesAndNapiFollowGro) {
  BL_REQUIRE_ROOT();
  auto t = packet_topo(true);
  EXPECT_EQ(t->kind(), "veth-packet");
  const Endpoint* g = find_endpoint(*t, "generator");
  const Endpoint* d = find_endpoint(*t, "dut");
  ASSERT_TRUE(g && d);
  EXPECT_EQ(&t->client(), g);
  EXPECT_EQ(&t->server(), d);
  EXPECT_EQ(g->addr.str(), "198.18.0.1");
  EXPECT_EQ(d->addr.str(), "198.18.0.2");
  EXPECT_EQ(read_offloads(*d).at("gro"), true);
  EXPECT_FALSE(read_napi(*d).empty()) << "GRO on a veth end turns its NAPI on";
  EXPECT_TRUE(read_napi(*g).empty()) << "the generator end has neither GRO nor XDP";

  auto off = packet_topo(false);
  EXPECT_TRUE(read_napi(*find_endpoint(*off, "dut")).empty());
  EXPECT_THROW(ThreadedNapi(*find_endpoint(*off, "dut"), 0), RunError) << "no NAPI: nothing to thread";
}

TEST(PacketTopology, ThreadedNapiPinnedThenRestored) {
  BL_REQUIRE_ROOT();
  auto t = packet_topo(true);
  const Endpoint& d = *find_endpoint(*t, "dut");
  ASSERT_FALSE(napi_threaded(d));
  const int cpu = int(sysconf(_SC_NPROCESSORS_ONLN)) - 1;
  {
    ThreadedNapi tn(d, cpu);
    EXPECT_TRUE(napi_threaded(d));
    ASSERT_FALSE(tn.threads().empty());
    for (const NapiInfo& n : tn.threads()) {
      ASSERT_GT(n.pid, 0);
      cpu_set_t set;
      ASSERT_EQ(sched_getaffinity(n.pid, sizeof set, &set), 0);
      EXPECT_EQ(CPU_COUNT(&set), 1);
      EXPECT_TRUE(CPU_ISSET(cpu, &set));
    }
    for (const NapiInfo& n : read_napi(d)) EXPECT_GT(n.pid, 0) << "netlink shows the thread too";
  }
  EXPECT_FALSE(napi_threaded(d)) << "threaded mode is back as it was";
  for (const NapiInfo& n : read_napi(d)) EXPECT_EQ(n.pid, 0);
}

TEST(PacketTopology, QueueStatisticsAreSummed) {
  std::map<std::string, uint64_t> s{{"rx_queue_0_drops", 1},      {"rx_queue_1_drops", 2},
                                    {"rx_queue_0_xdp_packets", 5}, {"rx_queue_0_xdp_drops", 4},
                                    {"tx_queue_0_xdp_xmit", 7},    {"tx_queue_3_xdp_xmit", 3},
                                    {"tx_queue_0_xdp_xmit_errors", 9}, {"peer_ifindex", 12},
                                    {"rx_queue_x_drops", 100},     {"tx_queue_0_xdp_tx", 100}};
  LinkCounters c;
  add_queue_stats(s, &c);
  EXPECT_EQ(c.rxq_drops, 3u);
  EXPECT_EQ(c.rxq_xdp_packets, 5u);
  EXPECT_EQ(c.rxq_xdp_drops, 4u);
  EXPECT_EQ(c.xdp_xmit, 10u);
  EXPECT_EQ(c.xdp_xmit_errors, 9u);
}

TEST(PacketTopology, EthtoolStatisticsOfVeth) {
  BL_REQUIRE_ROOT();
  auto t = packet_topo(true);
  auto s = read_ethtool_stats(*find_endpoint(*t, "dut"));
  EXPECT_TRUE(s.count("rx_queue_0_xdp_packets"));
  EXPECT_TRUE(s.count("tx_queue_0_xdp_xmit"));
  EXPECT_TRUE(s.count("tx_queue_0_xdp_xmit_errors"));
}

}  // namespace
}  // namespace benchlab::netns
