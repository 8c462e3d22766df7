#include <cerrno>
#include <stdexcept>

#include <gtest/gtest.h>

#include "benchlab/core/error.hpp"
#include "benchlab/netns/netns.hpp"
#include "benchlab/netns/topology.hpp"

namespace benchlab::netns {
namespace {

TEST(NetnsAddress, ParseStrRoundTrip) {
  struct Case { const char* in; Family family; const char* canonical; };
  const Case cases[] = {
      {"198.18.0.1", Family::ipv4, "198.18.0.1"},
      {"198.19.255.255", Family::ipv4, "198.19.255.255"},
      {"0.0.0.0", Family::ipv4, "0.0.0.0"},
      {"2001:2::1", Family::ipv6, "2001:2::1"},
      {"2001:0002:0000:0000:0000:0000:0000:0002", Family::ipv6, "2001:2::2"},
      {"2001:2:0:FFFF::", Family::ipv6, "2001:2:0:ffff::"},
      {"::1", Family::ipv6, "::1"},
  };
  for (const auto& c : cases) {
    IpAddress a = IpAddress::parse(c.in);
    EXPECT_EQ(a.family, c.family) << c.in;
    EXPECT_EQ(a.str(), c.canonical) << c.in;
    IpAddress b = IpAddress::parse(a.str());
    EXPECT_EQ(b.family, a.family) << c.in;
    EXPECT_EQ(b.bytes, a.bytes) << c.in;
  }
}

TEST(NetnsAddress, ParseBytesAreNetworkOrder) {
  IpAddress a = IpAddress::parse("198.18.0.2");
  EXPECT_EQ(a.bytes[0], 198);
  EXPECT_EQ(a.bytes[1], 18);
  EXPECT_EQ(a.bytes[2], 0);
  EXPECT_EQ(a.bytes[3], 2);
  for (size_t i = 4; i < a.bytes.size(); ++i) EXPECT_EQ(a.bytes[i], 0) << i;
  IpAddress b = IpAddress::parse("2001:2::1");
  EXPECT_EQ(b.bytes[0], 0x20);
  EXPECT_EQ(b.bytes[1], 0x01);
  EXPECT_EQ(b.bytes[3], 0x02);
  EXPECT_EQ(b.bytes[15], 0x01);
}

TEST(NetnsAddress, ParseRejectsNonAddresses) {
  for (const char* s : {"", "198.18.0", "198.18.0.256", "198.18.0.1/30", " 198.18.0.1", "2001:2::1/64",
                        "2001:2::1::2", "bl-lo", "localhost", "0x7f.0.0.1"})
    EXPECT_THROW(IpAddress::parse(s), std::invalid_argument) << '"' << s << '"';
}

TEST(NetnsAddress, BenchmarkRangeAcceptsEdges) {
  for (const char* s : {"198.18.0.0", "198.18.0.1", "198.18.0.2", "198.19.255.255", "2001:2::", "2001:2::1",
                        "2001:2:0:ffff::", "2001:2:0:ffff:ffff:ffff:ffff:ffff"})
    EXPECT_TRUE(is_benchmark_address(IpAddress::parse(s))) << s;
}

TEST(NetnsAddress, BenchmarkRangeRejectsOutside) {
  for (const char* s : {"198.17.255.255", "198.20.0.0", "10.0.0.1", "127.0.0.1", "0.0.0.0", "255.255.255.255",
                        "192.168.1.1", "2001:3::", "2001:2:1::", "2001:1:ffff:ffff:ffff:ffff:ffff:ffff",
                        "2001::1", "::1", "::", "fe80::1", "::ffff:198.18.0.1", "::198.18.0.1"})
    EXPECT_FALSE(is_benchmark_address(IpAddress::parse(s))) << s;
}

TEST(NetnsAddress, FamilyNames) {
  EXPECT_EQ(to_string(Family::ipv4), "ipv4");
  EXPECT_EQ(to_string(Family::ipv6), "ipv6");
}

// Input checks happen before any side effect, so they need no privileges.
TEST(NetnsNames, CreateRejectsBadNamesBeforeTouchingAnything) {
  for (const char* n : {"foo", "bl-", "bl-a/b", "bl-../x", "bl-a b", "xbl-a"})
    EXPECT_THROW(Netns::create(n), RunError) << n;
  EXPECT_THROW(Netns::create("bl-" + std::string(300, 'a')), RunError);
}

TEST(NetnsNames, RemoveRefusesForeignNames) {
  EXPECT_EQ(remove_named_netns("foo"), -EINVAL);
  EXPECT_EQ(remove_named_netns("bl-a/../../etc"), -EINVAL);
  EXPECT_EQ(remove_named_netns(""), -EINVAL);
}

TEST(NetnsNames, TopologyRejectsBadRunIdBeforeTouchingAnything) {
  TopologyOptions o;
  o.run_id = "";
  EXPECT_THROW(make_veth(o), RunError);
  EXPECT_THROW(make_loopback(o), RunError);
  o.run_id = "a/b";
  EXPECT_THROW(make_veth(o), RunError);
  o.run_id = "has space";
  EXPECT_THROW(make_loopback(o), RunError);
}

}  // namespace
}  // namespace benchlab::netns
