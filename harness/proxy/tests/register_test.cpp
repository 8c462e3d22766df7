// The user-space proxies' registry rows: the skeleton's options first, the mover's after.
#include <gtest/gtest.h>

#include "benchlab/proxy/register.hpp"

namespace bl = benchlab;
namespace blp = benchlab::proxy;

namespace {

TEST(ProxyRegistry, UserSpaceRowsDeclareTheSkeletonsOptionsThenTheirOwn) {
  bl::DatapathRegistry reg;
  blp::register_proxy_datapaths(reg);
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"proxy-copy", "proxy-splice"}));
  const std::vector<bl::OptionSpec> skeleton = blp::proxy_options();
  for (const auto& e : reg.entries()) {
    ASSERT_EQ(e.options.size(), skeleton.size() + 1) << e.name;
    for (size_t i = 0; i < skeleton.size(); ++i) EXPECT_EQ(e.options[i].name, skeleton[i].name) << e.name;
    EXPECT_EQ(e.options.back().name, "buffer_bytes");
    EXPECT_EQ(std::get<int64_t>(e.options.back().default_value), 65536);
    EXPECT_EQ(e.traffic, std::vector<std::string>{"stream"});
    EXPECT_TRUE(e.probe().ok);
  }
}

}  // namespace
