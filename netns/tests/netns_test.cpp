#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include <gtest/gtest.h>

#include "benchlab/core/error.hpp"
#include "benchlab/netns/netns.hpp"
#include "test_util.hpp"

namespace benchlab::netns {
namespace {

using test::current_netns_inode;
using test::netns_file_exists;

bool link_is_up(const std::string& ifname) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq ifr{};
  ifname.copy(ifr.ifr_name, IFNAMSIZ - 1);
  bool up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
  close(fd);
  return up;
}

TEST(NetnsNamespace, CreateRunInAndRemove) {
  BL_REQUIRE_ROOT();
  const std::string name = "bl-" + test::unique_id() + "-ns";
  const ino_t caller_ns = current_netns_inode();
  ASSERT_NE(caller_ns, 0u);
  {
    auto ns = Netns::create(name);
    EXPECT_EQ(ns->name(), name);
    EXPECT_GE(ns->fd(), 0);
    EXPECT_TRUE(netns_file_exists(name));
    auto names = list_benchlab_netns();
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end());

    // The bind mount and the fd name the same namespace, which is not the caller's.
    struct stat by_fd, by_path;
    ASSERT_EQ(fstat(ns->fd(), &by_fd), 0);
    ASSERT_EQ(stat((std::string(kNetnsDir) + "/" + name).c_str(), &by_path), 0);
    EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
    EXPECT_NE(by_fd.st_ino, caller_ns);

    ino_t inside = 0;
    bool lo_up = false;
    std::set<std::string> links;
    ns->run_in([&] {
      inside = current_netns_inode();
      lo_up = link_is_up("lo");
      links = test::link_names();
    });
    EXPECT_EQ(inside, by_fd.st_ino);
    EXPECT_TRUE(lo_up);
    EXPECT_EQ(links, std::set<std::string>{"lo"});   // a fresh namespace: nothing but lo
    EXPECT_EQ(current_netns_inode(), caller_ns) << "run_in must not move the caller's thread";
  }
  EXPECT_FALSE(netns_file_exists(name));
  auto names = list_benchlab_netns();
  EXPECT_EQ(std::find(names.begin(), names.end(), name), names.end());
}

TEST(NetnsNamespace, RunInRethrowsAndLeavesCallerAlone) {
  BL_REQUIRE_ROOT();
  auto ns = Netns::create("bl-" + test::unique_id() + "-ex");
  const ino_t caller_ns = current_netns_inode();
  EXPECT_THROW(ns->run_in([] { throw std::out_of_range("from inside"); }), std::out_of_range);
  try {
    ns->run_in([] { throw RunError("marker 42"); });
    FAIL() << "no exception";
  } catch (const RunError& e) {
    EXPECT_STREQ(e.what(), "marker 42");
  }
  EXPECT_EQ(current_netns_inode(), caller_ns);
}

TEST(NetnsNamespace, DuplicateNameIsRefusedAndFirstSurvives) {
  BL_REQUIRE_ROOT();
  const std::string name = "bl-" + test::unique_id() + "-dup";
  auto first = Netns::create(name);
  try {
    Netns::create(name);
    FAIL() << "second create of " << name << " succeeded";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.err(), EEXIST);
  }
  EXPECT_TRUE(netns_file_exists(name));
  bool lo_up = false;
  first->run_in([&] { lo_up = link_is_up("lo"); });
  EXPECT_TRUE(lo_up) << "the failed duplicate must not have damaged the first namespace";
}

TEST(NetnsNamespace, RemoveNamedNetnsCleansLeftover) {
  BL_REQUIRE_ROOT();
  const std::string name = "bl-" + test::unique_id() + "-left";
  auto ns = Netns::create(name);
  ASSERT_TRUE(netns_file_exists(name));
  EXPECT_EQ(remove_named_netns(name), 0);   // as `benchlab cleanup` would after a crash
  EXPECT_FALSE(netns_file_exists(name));
  EXPECT_EQ(remove_named_netns(name), -ENOENT);
  ns.reset();   // the owner's own teardown tolerates the file being gone
  EXPECT_FALSE(netns_file_exists(name));
}

}  // namespace
}  // namespace benchlab::netns
