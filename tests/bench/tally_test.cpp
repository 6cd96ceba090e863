// Unit tests of fanout's receive side: hand-made server frames in, figures out.
#include <gtest/gtest.h>

#include <string>

#include "h2h-bench/fanout_tally.hpp"
#include "h2h-bench/payload.hpp"

using namespace h2h::bench;

namespace {

/// 4 connections in 2 rooms; publishers 0 (room 0) and 1 (room 1).
constexpr fanout_layout layout{4, 2, 2};

/// The MESSAGE event h2h broadcasts for publisher `pub`'s message `seq`.
std::string h2h_event(std::size_t pub, std::uint64_t seq, std::int64_t sent) {
  std::string text;
  append_payload(text, payload{static_cast<std::uint32_t>(pub), seq, sent}, 64);
  return R"({"type":"MESSAGE","roomId":"bench-)" + std::to_string(pub % 2)
         + R"(","sender":"p)" + std::to_string(pub) + R"(","message":")" + text
         + R"(","seq":9,"ts":"2026-11-27T21:40:00.123Z","clientMsgId":")"
         + std::to_string(pub) + "-" + std::to_string(seq) + R"(-abcd"})";
}

std::string ack(std::size_t pub, std::uint64_t seq) {
  return R"({"type":"ACK","roomId":"bench-0","clientMsgId":")"
         + std::to_string(pub) + "-" + std::to_string(seq)
         + R"(-abcd","seq":12})";
}

} // namespace

TEST(fanout_tally, layout_spreads_connections_and_publishers) {
  fanout_layout l{10, 3, 4};
  EXPECT_EQ(l.room_size(0), 4u); // connections 0, 3, 6, 9
  EXPECT_EQ(l.room_size(1), 3u);
  EXPECT_EQ(l.room_size(2), 3u);
  EXPECT_EQ(l.room_of(3), 0u); // publisher 3 is room 0's second
  EXPECT_EQ(l.stream_of(3), 1u);
  EXPECT_EQ(l.max_publishers_per_room(), 2u);
}

TEST(fanout_tally, any_enter_notice_or_joined_marks_entry) {
  fanout_tally h2h{protocol::h2h, layout};
  auto notice = [](const char* sender) {
    return std::string{R"({"type":"ENTER","roomId":"bench-0","sender":")"}
           + sender + R"(","message":"x entered.","seq":1,"ts":"t"})";
  };
  // Rooms send only to members, so any ENTER notice proves membership
  // (with tokens the sender is a nickname, not c<conn>).
  EXPECT_TRUE(h2h.on_frame(2, notice("c2"), 0).entered);
  EXPECT_TRUE(h2h.on_frame(2, notice("alice"), 0).entered);
  EXPECT_FALSE(h2h.on_frame(0, R"({"type":"EXIT","sender":"c0"})", 0).entered);
  fanout_tally plain{protocol::plain, layout};
  EXPECT_TRUE(
    plain.on_frame(1, R"({"type":"joined","room":"bench-1"})", 0).entered);
}

TEST(fanout_tally, h2h_deliveries_acks_loss_and_latency) {
  fanout_tally t{protocol::h2h, layout};
  t.on_publish(0, 0, 100); // warm-up message
  t.start_window(1000);
  t.on_publish(0, 1, 1000);
  t.on_publish(0, 2, 2000);
  EXPECT_FALSE(t.drained());
  // Room 0 is connections 0 and 2. Message 2 never reaches connection 2.
  for (std::size_t conn : {0u, 2u})
    for (std::uint64_t seq : {0u, 1u})
      t.on_frame(conn, h2h_event(0, seq, seq == 0 ? 100 : 1000),
                 1000 + 500'000);
  t.on_frame(0, h2h_event(0, 2, 2000), 2000 + 300'000);
  t.on_frame(0, h2h_event(0, 2, 2000), 2000 + 300'000); // duplicate
  // ACKs free publisher 0's window slots; an ACK on another connection is
  // not ours.
  EXPECT_EQ(t.on_frame(0, ack(0, 1), 1000 + 400'000).freed, 0u);
  EXPECT_EQ(t.on_frame(0, ack(0, 2), 2000 + 200'000).freed, 0u);
  EXPECT_FALSE(t.on_frame(2, ack(0, 0), 5000).freed);
  EXPECT_FALSE(t.drained()); // a delivery and the ACK of seq 0 are missing

  fanout_report r;
  t.fill(r);
  EXPECT_EQ(r.publishes, 2u);
  EXPECT_EQ(r.publishes_total, 3u);
  EXPECT_EQ(r.expected_deliveries, 4u);
  EXPECT_EQ(r.deliveries.distinct_measured, 3u);
  EXPECT_EQ(r.lost, 1u);
  EXPECT_EQ(r.deliveries.duplicated, 1u);
  EXPECT_EQ(r.deliveries.out_of_order, 0u);
  EXPECT_EQ(r.acks, 2u);
  EXPECT_EQ(r.unexpected_frames, 1u); // the ACK on connection 2
  EXPECT_EQ(r.latency.samples, 3u);   // warm-up deliveries are not timed
  EXPECT_DOUBLE_EQ(*r.latency.p50_ms, 0.5);
  EXPECT_DOUBLE_EQ(*r.latency.max_ms, 0.5);
  EXPECT_NEAR(*r.ack_latency.p50_ms, 0.2, 0.2 / 128); // bucketed, see stats.hpp
  EXPECT_DOUBLE_EQ(*r.ack_latency.max_ms, 0.4);

  t.on_frame(2, h2h_event(0, 2, 2000), 9000);
  t.on_frame(0, ack(0, 0), 9000);
  EXPECT_TRUE(t.drained());
}

TEST(fanout_tally, per_message_first_member_and_spread) {
  fanout_tally t{protocol::h2h, layout};
  t.start_window(1000);
  t.on_publish(0, 1, 1000);
  t.on_publish(0, 2, 2000);
  // Room 0 is connections 0 and 2: message 1 reaches 2 first (0.2 ms),
  // then 0 (0.7 ms); message 2 only connection 0 so far.
  t.on_frame(2, h2h_event(0, 1, 1000), 1000 + 200'000);
  t.on_frame(2, h2h_event(0, 1, 1000), 1000 + 250'000); // duplicate: ignored
  t.on_frame(0, h2h_event(0, 1, 1000), 1000 + 700'000);
  t.on_frame(0, h2h_event(0, 2, 2000), 2000 + 300'000);
  fanout_report r;
  t.fill(r);
  EXPECT_EQ(r.first_latency.samples, 1u); // message 2 is not complete
  EXPECT_NEAR(*r.first_latency.p50_ms, 0.2, 0.2 / 128);
  EXPECT_EQ(r.spread.samples, 1u);
  EXPECT_NEAR(*r.spread.p50_ms, 0.5, 0.5 / 128);
  EXPECT_EQ(r.spread_untimed, 0u);

  // 256 messages later message 2's slot is taken again: it goes untimed,
  // and the new one is timed on its own.
  t.on_publish(0, 258, 3000);
  t.on_frame(0, h2h_event(0, 258, 3000), 3000 + 100'000);
  t.on_frame(2, h2h_event(0, 258, 3000), 3000 + 100'000);
  t.fill(r);
  EXPECT_EQ(r.spread_untimed, 1u);
  EXPECT_EQ(r.first_latency.samples, 2u);
  EXPECT_EQ(r.spread.samples, 2u);
  EXPECT_DOUBLE_EQ(*r.spread.p50_ms, 0.0);
}

TEST(fanout_tally, wrong_room_and_garbage_are_unexpected_not_delivered) {
  fanout_tally t{protocol::h2h, layout};
  t.start_window(0);
  t.on_publish(1, 0, 10);
  // Publisher 1 is in room 1; connection 0 is in room 0.
  t.on_frame(0, h2h_event(1, 0, 10), 20);
  t.on_frame(0, R"({"type":"MESSAGE","message":"hello"})", 20);
  t.on_frame(0, "not json", 20);
  t.on_frame(0, R"({"type":"SURPRISE"})", 20);
  fanout_report r;
  t.fill(r);
  EXPECT_EQ(r.unexpected_frames, 4u);
  EXPECT_EQ(r.deliveries.distinct, 0u);
  EXPECT_EQ(r.lost, 2u); // room 1 has connections 1 and 3
}

TEST(fanout_tally, errors_naming_our_message_free_its_slot) {
  fanout_tally t{protocol::h2h, layout};
  t.on_publish(1, 0, 10);
  auto e = t.on_frame(1,
                      R"({"type":"ERROR","code":"GLOBAL_429","message":)"
                      R"("sending too fast","clientMsgId":"1-0-abcd"})",
                      20);
  EXPECT_EQ(e.freed, 1u);
  auto other
    = t.on_frame(1, R"({"type":"ERROR","code":"CHAT_004","message":"x"})", 20);
  EXPECT_FALSE(other.freed);
  fanout_report r;
  t.fill(r);
  EXPECT_EQ(r.server_errors, 2u);
  EXPECT_NE(r.first_server_error.find("GLOBAL_429"), std::string::npos);
}

TEST(fanout_tally, plain_own_echo_frees_the_slot_and_reorder_is_counted) {
  fanout_tally t{protocol::plain, layout};
  t.start_window(0);
  std::string frame;
  for (std::uint64_t seq = 0; seq < 3; ++seq)
    t.on_publish(0, seq, 10);
  auto echo = [&](std::size_t conn, std::uint64_t seq) {
    build_plain_message(frame, "bench-", 0, payload{0, seq, 10}, 64);
    return t.on_frame(conn, frame, 50);
  };
  EXPECT_EQ(echo(0, 0).freed, 0u); // the publisher's own echo
  EXPECT_FALSE(echo(2, 0).freed);  // another member's copy
  echo(0, 2);
  echo(0, 1); // behind 2: out of order
  echo(2, 1);
  echo(2, 2);
  EXPECT_TRUE(t.drained());
  fanout_report r;
  t.fill(r);
  EXPECT_EQ(r.deliveries.distinct_measured, 6u);
  EXPECT_EQ(r.deliveries.out_of_order, 1u);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.acks, 0u);
}
