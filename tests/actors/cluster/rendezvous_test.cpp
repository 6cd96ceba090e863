// Room placement by rendezvous hashing: stable, balanced, minimal movement.
#include "actors/cluster/rendezvous.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using h2h::rendezvous_owner;
using h2h::rendezvous_weight;

std::vector<std::string> rooms(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("room-" + std::to_string(i));
  return out;
}

TEST(rendezvous, no_node_owns_nothing) {
  EXPECT_EQ(rendezvous_owner("r", {}), nullptr);
}

TEST(rendezvous, one_node_owns_everything) {
  std::vector<std::string> nodes{"n1"};
  for (auto& r : rooms(100))
    EXPECT_EQ(*rendezvous_owner(r, nodes), "n1");
}

TEST(rendezvous, weights_are_fixed_across_builds) {
  // Every node of a cluster must compute the same owner, whatever compiler
  // or library built it: these values are part of the wire contract.
  EXPECT_EQ(rendezvous_weight("n1", "lobby"), rendezvous_weight("n1", "lobby"));
  EXPECT_NE(rendezvous_weight("n1", "lobby"), rendezvous_weight("n2", "lobby"));
  EXPECT_NE(rendezvous_weight("a", "bc"), rendezvous_weight("ab", "c"));
  EXPECT_EQ(rendezvous_weight("n1", "lobby"), 0x39eb2d1a9979138aULL);
}

TEST(rendezvous, order_of_the_node_list_does_not_matter) {
  std::vector<std::string> a{"n1", "n2", "n3"};
  std::vector<std::string> b{"n3", "n1", "n2"};
  for (auto& r : rooms(1000))
    EXPECT_EQ(*rendezvous_owner(r, a), *rendezvous_owner(r, b)) << r;
}

TEST(rendezvous, rooms_spread_evenly) {
  std::vector<std::string> nodes{"n1", "n2", "n3"};
  std::map<std::string, int> count;
  const int n = 30000;
  for (auto& r : rooms(n))
    ++count[*rendezvous_owner(r, nodes)];
  ASSERT_EQ(count.size(), 3u);
  for (auto& [node, c] : count) {
    EXPECT_GT(c, n / 3 * 9 / 10) << node;
    EXPECT_LT(c, n / 3 * 11 / 10) << node;
  }
}

TEST(rendezvous, a_joining_node_takes_only_rooms_it_wins) {
  std::vector<std::string> before{"n1", "n2", "n3"};
  auto after = before;
  after.push_back("n4");
  int moved = 0;
  const int n = 20000;
  for (auto& r : rooms(n)) {
    auto& was = *rendezvous_owner(r, before);
    auto& now = *rendezvous_owner(r, after);
    if (was != now) {
      EXPECT_EQ(now, "n4") << r; // never from one old node to another
      ++moved;
    }
  }
  // About a quarter of the rooms move, to the new node only.
  EXPECT_GT(moved, n / 4 * 9 / 10);
  EXPECT_LT(moved, n / 4 * 11 / 10);
}

TEST(rendezvous, a_leaving_node_gives_up_only_its_own_rooms) {
  std::vector<std::string> before{"n1", "n2", "n3"};
  std::vector<std::string> after{"n1", "n3"};
  for (auto& r : rooms(10000)) {
    auto& was = *rendezvous_owner(r, before);
    auto& now = *rendezvous_owner(r, after);
    if (was != "n2")
      EXPECT_EQ(was, now) << r;
    else
      EXPECT_NE(now, "n2");
  }
}

} // namespace
