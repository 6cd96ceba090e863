// Unit tests of failover's accounting: hand-made events in, the figures of
// a killed node's clients coming back out, checked against a made-up history.
#include <gtest/gtest.h>

#include <string>

#include "h2h-bench/failover_tally.hpp"

using namespace h2h::bench;

namespace {

constexpr std::int64_t ms = 1'000'000;

/// History of one room holding every seq in [from, to].
history_room all_of(std::uint64_t from, std::uint64_t to) {
  history_room h;
  for (auto s = from; s <= to; ++s) {
    h.seqs.push_back(s);
    h.client_msg_ids.emplace_back();
  }
  return h;
}

} // namespace

TEST(failover_tally, frames_are_read_by_string_search) {
  auto f = read_failover_frame(
    R"({"type":"MESSAGE","roomId":"bench-1","sender":"p1","message":"B1.2.3.xx","seq":42,"ts":"t","clientMsgId":"1-2-abcd"})");
  EXPECT_EQ(f.type, "MESSAGE");
  EXPECT_EQ(f.seq, 42u);
  EXPECT_EQ(f.client_msg_id, "1-2-abcd");
  auto e = read_failover_frame(
    R"({"type":"ERROR","code":"CHAT_006","message":"room unavailable, retry"})");
  EXPECT_EQ(e.type, "ERROR");
  EXPECT_FALSE(e.seq);
  EXPECT_FALSE(e.client_msg_id);
  EXPECT_EQ(find_uint_field(R"({"lastSeq":7,"seq": 9})", "seq"), 9u);
  EXPECT_FALSE(find_uint_field(R"({"seq":-1})", "seq"));
  EXPECT_FALSE(find_uint_field(R"({"seq":"9"})", "seq"));
}

TEST(failover_tally, spread_is_nearest_rank_over_clients) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i)
    v.push_back(i / 100.0);
  auto s = spread_of(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(*s.first, 0.01);
  EXPECT_DOUBLE_EQ(*s.p50, 0.50);
  EXPECT_DOUBLE_EQ(*s.p99, 0.99);
  EXPECT_DOUBLE_EQ(*s.max, 1.00);
  EXPECT_FALSE(spread_of({}).p50);
}

TEST(failover_tally, a_receiver_comes_back_with_last_seq_and_catches_up) {
  // Receivers 0 and 1 (rooms 0, 1), publishers 0 and 1 (connections 2, 3).
  failover_tally t{2, 2, 2};
  t.on_event(0, 10, 0);
  t.on_event(2, 10, 0);
  t.on_event(0, 11, 1 * ms);
  t.on_event(2, 11, 1 * ms);
  t.on_kill(100 * ms);
  t.on_lost(0, 101 * ms);
  // Meanwhile the room went on without the receiver.
  t.on_event(2, 12, 150 * ms);
  t.on_event(2, 13, 200 * ms);
  t.on_attempt(0);
  t.on_reopened(0, 300 * ms);
  EXPECT_EQ(t.on_enter_sent(0, 300 * ms), 11u); // its lastSeq
  EXPECT_FALSE(t.back(0));
  t.on_event(0, 12, 400 * ms); // the replay: in again
  EXPECT_TRUE(t.back(0));
  EXPECT_FALSE(t.caught_up(0));
  t.on_event(0, 13, 500 * ms); // the room's latest when it re-entered
  EXPECT_TRUE(t.caught_up(0));
  failover_report r;
  r.rooms.resize(2);
  t.fill(r, {all_of(10, 13), all_of(1, 1)}, "abcd");
  EXPECT_TRUE(r.history_checked);
  EXPECT_EQ(r.lost_connection, 1u);
  EXPECT_EQ(r.back, 1u);
  EXPECT_EQ(r.caught_up, 1u);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_DOUBLE_EQ(*r.lost_s.max, 0.001);
  EXPECT_DOUBLE_EQ(*r.reconnected_s.max, 0.2);
  EXPECT_DOUBLE_EQ(*r.entered_s.max, 0.3);
  EXPECT_DOUBLE_EQ(*r.caught_up_s.max, 0.4);
  EXPECT_EQ(r.gaps, 0u);
  EXPECT_EQ(r.duplicates, 0u);
  EXPECT_EQ(r.behind_at_end, 0u);
  EXPECT_EQ(r.rooms[0].history_events, 4u);
}

TEST(failover_tally, a_gap_or_a_repeat_is_counted_and_a_gap_is_not_caught_up) {
  failover_tally t{2, 1, 1};
  for (std::uint64_t s = 1; s <= 3; ++s) {
    t.on_event(0, s, 0);
    t.on_event(1, s, 0);
    t.on_event(2, s, 0);
  }
  t.on_kill(10 * ms);
  for (std::size_t j : {0, 1}) {
    t.on_lost(j, 11 * ms);
    t.on_reopened(j, 20 * ms);
  }
  t.on_event(2, 4, 15 * ms);
  t.on_event(2, 5, 16 * ms);
  EXPECT_EQ(t.on_enter_sent(0, 20 * ms), 3u);
  EXPECT_EQ(t.on_enter_sent(1, 20 * ms), 3u);
  t.on_event(0, 5, 30 * ms); // seq 4 never comes: a gap
  t.on_event(1, 4, 30 * ms);
  t.on_event(1, 5, 31 * ms);
  t.on_event(1, 5, 32 * ms); // a repeat
  failover_report r;
  t.fill(r, {all_of(1, 5)}, "tag1");
  EXPECT_EQ(r.gaps, 1u);
  EXPECT_EQ(r.clients_with_gaps, 1u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.back, 2u);
  EXPECT_EQ(r.caught_up, 1u); // the client with the gap is not
  // A seq the store skipped (never committed) is no gap.
  failover_report skipped;
  history_room h = all_of(1, 3);
  h.seqs.push_back(5);
  h.client_msg_ids.emplace_back();
  t.fill(skipped, {h}, "tag1");
  EXPECT_EQ(skipped.gaps, 0u);
  EXPECT_EQ(skipped.caught_up, 2u);
}

TEST(failover_tally, refused_sends_are_resent_and_checked_against_history) {
  failover_tally t{1, 1, 1};
  t.on_publish(0, 0, 0);
  t.on_ack(0, 0, 7, 1 * ms);
  t.on_kill(10 * ms);
  t.on_publish(0, 1, 20 * ms);
  EXPECT_TRUE(t.on_refused(0, 1, 30 * ms, R"({"code":"CHAT_006"})"));
  EXPECT_TRUE(t.due_resends(0, 100 * ms).empty()); // a pause first
  ASSERT_EQ(t.due_resends(0, 231 * ms), (std::vector<std::uint64_t>{1}));
  t.on_resend(0, 1);
  EXPECT_TRUE(t.due_resends(0, 300 * ms).empty());
  EXPECT_FALSE(t.all_acked());
  t.on_ack(0, 1, 9, 400 * ms);
  t.on_ack(0, 1, 9, 401 * ms); // a repeated ACK changes nothing
  EXPECT_FALSE(t.on_refused(0, 1, 402 * ms, "late"));
  EXPECT_TRUE(t.all_acked());
  t.on_publish(0, 2, 500 * ms); // never acknowledged
  failover_report r;
  r.rooms.resize(1);
  history_room h;
  h.seqs = {7, 8, 9};
  h.client_msg_ids = {"0-0-run1", "", "0-1-run1"};
  t.fill(r, {h}, "run1");
  EXPECT_EQ(r.sent, 3u);
  EXPECT_EQ(r.acked, 2u);
  EXPECT_EQ(r.refused, 1u);
  EXPECT_EQ(r.refused_after_kill, 1u);
  EXPECT_EQ(r.resent, 1u);
  EXPECT_EQ(r.unacked, 1u);
  EXPECT_EQ(r.acked_not_stored, 0u);
  EXPECT_EQ(r.stored_twice, 0u);
  EXPECT_DOUBLE_EQ(*r.first_refusal_s, 0.02);
  EXPECT_DOUBLE_EQ(*r.rooms[0].serving_s, 0.39); // first later send's ACK
  EXPECT_DOUBLE_EQ(*r.ack_stall_ms, 399.0);
  // Acknowledged but missing, stored twice, stored under another seq.
  history_room bad;
  bad.seqs = {7, 8, 10};
  bad.client_msg_ids = {"0-1-run1", "0-1-run1", "other"};
  failover_report b;
  t.fill(b, {bad}, "run1");
  EXPECT_EQ(b.acked_not_stored, 1u); // 0-0
  EXPECT_EQ(b.stored_twice, 1u);
  EXPECT_EQ(b.ack_seq_mismatch, 1u); // 0-1 acknowledged as 9
}

TEST(failover_tally, without_history_nothing_is_claimed) {
  failover_tally t{1, 1, 1};
  t.on_event(0, 1, 0);
  failover_report r;
  t.fill(r, {std::nullopt}, "x");
  EXPECT_FALSE(r.history_checked);
  EXPECT_EQ(r.gaps, 0u);
  auto j = to_json(r);
  EXPECT_EQ(j["history_checked"], false);
  EXPECT_TRUE(j["caught_up_s"]["p50"].is_null());
  EXPECT_NE(summary_line(r).find("failover: INCOMPLETE"), std::string::npos);
}

TEST(failover_tally, only_what_was_committed_before_the_close_is_owed) {
  failover_tally t{1, 1, 1};
  t.on_event(0, 1, 0);
  t.on_event(1, 1, 0);
  t.on_event(1, 2, 0); // the receiver has not got 2 yet at the close
  t.on_close();
  failover_report r;
  t.fill(r, {all_of(1, 4)}, "x"); // 3, 4: EXIT notices of the close
  EXPECT_EQ(r.behind_at_end, 1u);
}
