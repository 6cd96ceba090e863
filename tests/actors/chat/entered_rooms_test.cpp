// The rooms of a session: set, find, erase, sorted order, clear.
#include "actors/chat/entered_rooms.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "actors/vocabulary/types.hpp"

using namespace h2h;

namespace {

caf::behavior quiet(caf::event_based_actor*, int) {
  return {[](int) {}};
}

/// Distinct room handles (any actor will do: the set never sends to them).
struct entered_rooms_test : ::testing::Test {
  actor_config cfg;
  caf::actor_system sys{cfg};
  std::vector<caf::actor> actors;

  room_actor make_room() {
    actors.push_back(sys.spawn(quiet, 0));
    return caf::actor_cast<room_actor>(actors.back());
  }

  ~entered_rooms_test() override {
    for (auto& a : actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
};

std::vector<std::string> ids(entered_rooms& rooms) {
  std::vector<std::string> out;
  for (auto& [id, room] : rooms)
    out.push_back(id);
  return out;
}

} // namespace

TEST_F(entered_rooms_test, a_room_set_is_found_and_others_are_not) {
  entered_rooms rooms;
  auto r1 = make_room();
  rooms.set("r1", r1);
  ASSERT_NE(rooms.find("r1"), nullptr);
  EXPECT_EQ(*rooms.find("r1"), r1);
  EXPECT_EQ(rooms.find("r2"), nullptr);
  EXPECT_EQ(rooms.find("r"), nullptr);
  EXPECT_EQ(rooms.size(), 1u);
}

TEST_F(entered_rooms_test, setting_a_room_again_replaces_its_actor) {
  entered_rooms rooms;
  auto old_room = make_room();
  auto new_room = make_room();
  rooms.set("r1", old_room);
  rooms.set("r1", new_room);
  EXPECT_EQ(rooms.size(), 1u);
  EXPECT_EQ(*rooms.find("r1"), new_room);
}

TEST_F(entered_rooms_test, rooms_are_kept_sorted_by_id) {
  entered_rooms rooms;
  for (auto id : {"m", "b", "z", "a", "n"})
    rooms.set(id, make_room());
  EXPECT_EQ(ids(rooms), (std::vector<std::string>{"a", "b", "m", "n", "z"}));
}

TEST_F(entered_rooms_test, erase_leaves_one_room_and_reports_unknown_ones) {
  entered_rooms rooms;
  auto a = make_room();
  auto c = make_room();
  rooms.set("a", a);
  rooms.set("b", make_room());
  rooms.set("c", c);
  EXPECT_TRUE(rooms.erase("b"));
  EXPECT_FALSE(rooms.erase("b"));
  EXPECT_FALSE(rooms.erase("x"));
  EXPECT_EQ(ids(rooms), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(*rooms.find("a"), a);
  EXPECT_EQ(*rooms.find("c"), c);
  EXPECT_TRUE(rooms.erase("a"));
  EXPECT_TRUE(rooms.erase("c"));
  EXPECT_EQ(rooms.size(), 0u);
}

TEST_F(entered_rooms_test, clear_leaves_every_room) {
  entered_rooms rooms;
  rooms.set("a", make_room());
  rooms.set("b", make_room());
  rooms.clear();
  EXPECT_EQ(rooms.size(), 0u);
  EXPECT_EQ(rooms.find("a"), nullptr);
  rooms.set("a", make_room()); // usable again
  EXPECT_NE(rooms.find("a"), nullptr);
}
