// The replay ring's form of an event: the room's id and a notice's usual
// text are left out and come back unchanged.
#include "actors/chat/ring_event.hpp"

#include <gtest/gtest.h>

using namespace h2h;

namespace {

room_event event(event_kind kind, std::string sender, std::string text) {
  room_event ev;
  ev.room_id = "a-room-with-a-long-name";
  ev.seq = 42;
  ev.kind = kind;
  ev.sender = std::move(sender);
  ev.sender_id = 7;
  ev.text = std::move(text);
  ev.ts_ms = 1764806400123;
  ev.client_msg_id = kind == event_kind::message ? "c-17" : "";
  return ev;
}

} // namespace

TEST(ring_event, is_smaller_than_the_event_it_keeps) {
  EXPECT_LT(sizeof(ring_event), sizeof(room_event));
}

TEST(ring_event, a_message_comes_back_as_it_was_committed) {
  auto ev = event(event_kind::message, "alice",
                  "a message long enough to "
                  "live on the heap");
  auto r = to_ring(ev);
  EXPECT_FALSE(r.usual_notice);
  EXPECT_EQ(from_ring(r, ev.room_id), ev);
}

TEST(ring_event, a_notice_keeps_no_text_of_its_own) {
  for (auto kind : {event_kind::enter, event_kind::exit}) {
    auto ev = event(kind, "bench-member-0042",
                    notice_text(kind, "bench-member-0042"));
    auto r = to_ring(ev);
    EXPECT_TRUE(r.usual_notice);
    EXPECT_TRUE(r.text.empty());
    EXPECT_EQ(from_ring(r, ev.room_id), ev);
  }
}

TEST(ring_event, a_notice_with_other_text_keeps_it) {
  // History written by another version, or a notice with no text at all:
  // what the store has is what a replay shows.
  for (const char* text : {"alice is here", ""}) {
    auto ev = event(event_kind::enter, "alice", text);
    auto r = to_ring(ev);
    EXPECT_FALSE(r.usual_notice);
    EXPECT_EQ(from_ring(r, ev.room_id), ev);
  }
}

TEST(ring_event, a_message_whose_text_reads_like_a_notice_stays_a_message) {
  auto ev = event(event_kind::message, "alice",
                  notice_text(event_kind::enter, "alice"));
  auto r = to_ring(ev);
  EXPECT_FALSE(r.usual_notice);
  EXPECT_EQ(from_ring(r, ev.room_id), ev);
}
