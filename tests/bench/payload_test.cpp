// Unit tests of h2h-bench's payload and frames: round trip, size, string
// search.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "h2h-bench/payload.hpp"

using namespace h2h::bench;
using json = nlohmann::json;

TEST(payload, round_trip_and_exact_size) {
  for (std::size_t size : {64u, 100u, 1000u, 4000u}) {
    payload p{59999, 18'000'000'000'000'000'000ull, 9'223'372'036'854'775'807};
    std::string out = "prefix";
    append_payload(out, p, size);
    ASSERT_EQ(out.size(), 6 + size);
    auto text = std::string_view{out}.substr(6);
    EXPECT_EQ(decode_payload(text), p);
    // Only characters that need no JSON escaping.
    EXPECT_EQ(text.find_first_not_of("0123456789B.x"), std::string_view::npos);
  }
  payload small{0, 0, 1};
  std::string out;
  append_payload(out, small, 100);
  EXPECT_EQ(out.size(), 100u);
  EXPECT_EQ(out.substr(0, 7), "B0.0.1.");
  EXPECT_EQ(decode_payload(out), small);
}

TEST(payload, header_longer_than_size_is_not_truncated) {
  payload p{7, 123456, 987654321};
  std::string out;
  append_payload(out, p, 4);
  EXPECT_EQ(out, "B7.123456.987654321.");
  EXPECT_EQ(decode_payload(out), p);
}

TEST(payload, foreign_texts_are_not_payloads) {
  for (std::string_view t : {"", "hello", "B", "B1.2", "B1.2.3", "Bx.2.3.",
                             "B1..3.", "b1.2.3.", "c1 entered."})
    EXPECT_FALSE(decode_payload(t)) << t;
}

TEST(frames, h2h_message_is_valid_json_with_the_spec_fields) {
  std::string out = "stale content";
  payload p{3, 17, 123456789};
  build_h2h_message(out, "bench-", 2, p, 100, "0a1b2c3d");
  auto j = json::parse(out);
  EXPECT_EQ(j["type"], "MESSAGE");
  EXPECT_EQ(j["roomId"], "bench-2");
  EXPECT_EQ(j["sender"], "p3");
  EXPECT_EQ(j["clientMsgId"], "3-17-0a1b2c3d");
  EXPECT_EQ(j["message"].get<std::string>().size(), 100u);
  EXPECT_EQ(decode_payload(*find_string_field(out, "message")), p);
  auto id = parse_client_msg_id(*find_string_field(out, "clientMsgId"));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->publisher, 3u);
  EXPECT_EQ(id->seq, 17u);
}

TEST(frames, plain_enter_and_join_frames) {
  std::string out;
  build_plain_message(out, "bench-", 0, payload{1, 2, 3}, 64);
  auto j = json::parse(out);
  EXPECT_EQ(j["type"], "msg");
  EXPECT_EQ(j["room"], "bench-0");
  EXPECT_EQ(decode_payload(j["text"].get<std::string>()), (payload{1, 2, 3}));
  build_h2h_enter(out, "idle-", 42, 4242);
  EXPECT_EQ(
    json::parse(out),
    json::parse(R"({"type":"ENTER","roomId":"idle-42","sender":"c4242"})"));
  build_plain_join(out, "bench-", 9);
  EXPECT_EQ(json::parse(out),
            json::parse(R"({"type":"join","room":"bench-9"})"));
}

TEST(frames, string_search_finds_fields_of_server_frames) {
  std::string_view msg
    = R"({"type":"MESSAGE","roomId":"r1","sender":"p0","message":"B0.1.2.xx",)"
      R"("seq":42,"ts":"2026-11-27T21:40:00.123Z","clientMsgId":"0-1-ab"})";
  EXPECT_EQ(find_string_field(msg, "type"), "MESSAGE");
  EXPECT_EQ(find_string_field(msg, "message"), "B0.1.2.xx");
  EXPECT_EQ(find_string_field(msg, "clientMsgId"), "0-1-ab");
  EXPECT_FALSE(find_string_field(msg, "seq")); // a number, not a string
  EXPECT_FALSE(find_string_field(msg, "missing"));
  // Whitespace, escapes, and the key's name appearing inside a value.
  std::string_view spaced = R"({ "note" : "a \"type\": x", "type" : "ACK" })";
  EXPECT_EQ(find_string_field(spaced, "type"), "ACK");
  EXPECT_EQ(find_string_field(spaced, "note"), R"(a \"type\": x)");
  EXPECT_FALSE(find_string_field(R"({"type":"unterminated)", "type"));
}
