// A room's window of recent clientMsgIds: bounded, FIFO eviction, keyed on
// the member id (the name only in trusted mode).
#include "actors/chat/dedupe_window.hpp"

#include <gtest/gtest.h>

using namespace h2h;

namespace {

publish_ack ack(std::uint64_t seq) {
  return publish_ack{seq, 1000 + static_cast<std::int64_t>(seq),
                     append_status::committed};
}

} // namespace

TEST(dedupe_window, a_remembered_id_answers_with_its_seq_as_a_duplicate) {
  dedupe_window w{8};
  w.remember(7, "alice", "c-1", ack(42));
  auto* found = w.find(7, "alice", "c-1");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->seq, 42u);
  EXPECT_EQ(found->ts_ms, 1042);
  EXPECT_EQ(found->status, append_status::duplicate);
  EXPECT_EQ(w.find(7, "alice", "c-2"), nullptr);
}

TEST(dedupe_window, the_window_holds_at_most_its_capacity) {
  dedupe_window w{3};
  for (std::uint64_t i = 1; i <= 10; ++i)
    w.remember(7, "alice", "c-" + std::to_string(i), ack(i));
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.find(7, "alice", "c-7"), nullptr);
  for (auto id : {"c-8", "c-9", "c-10"})
    EXPECT_NE(w.find(7, "alice", id), nullptr) << id;
}

TEST(dedupe_window, the_oldest_first_remembered_goes_first) {
  dedupe_window w{3};
  w.remember(7, "alice", "a", ack(1));
  w.remember(7, "alice", "b", ack(2));
  w.remember(7, "alice", "c", ack(3));
  // Remembering "a" again changes neither its ack nor its place.
  w.remember(7, "alice", "a", ack(99));
  EXPECT_EQ(w.find(7, "alice", "a")->seq, 1u);
  w.remember(7, "alice", "d", ack(4));
  EXPECT_EQ(w.find(7, "alice", "a"), nullptr);
  EXPECT_NE(w.find(7, "alice", "b"), nullptr);
  EXPECT_NE(w.find(7, "alice", "d"), nullptr);
  EXPECT_EQ(w.size(), 3u);
}

TEST(dedupe_window, a_member_is_known_by_id_whatever_its_name) {
  dedupe_window w{8};
  w.remember(7, "alice", "c-1", ack(5));
  ASSERT_NE(w.find(7, "alice (renamed)", "c-1"), nullptr);
  EXPECT_EQ(w.find(7, "alice (renamed)", "c-1")->seq, 5u);
  EXPECT_EQ(w.find(8, "alice", "c-1"), nullptr) << "same name, other member";
}

TEST(dedupe_window, without_member_ids_the_name_is_the_key) {
  dedupe_window w{8};
  w.remember(0, "alice", "c-1", ack(5));
  EXPECT_NE(w.find(0, "alice", "c-1"), nullptr);
  EXPECT_EQ(w.find(0, "bob", "c-1"), nullptr);
  // A name that looks like a member id never meets that member's ids.
  w.remember(0, "#7", "c-2", ack(6));
  EXPECT_EQ(w.find(7, "", "c-2"), nullptr);
  EXPECT_NE(dedupe_window::key(7, "", "x"), dedupe_window::key(0, "#7", "x"));
}

TEST(dedupe_window, a_window_of_zero_remembers_nothing) {
  dedupe_window w{0};
  w.remember(7, "alice", "c-1", ack(1));
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.find(7, "alice", "c-1"), nullptr);
}
