// Unit tests of the raw JSON protocol codec of /message (DESIGN.md §2.1).
#include "net/protocol/raw_json/json_codec.hpp"

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/protocol/utf8.hpp"

using h2h::client_command;
using h2h::command_kind;
using h2h::errc;
using h2h::net::codec_limits;
using h2h::net::decode_client_frame;
using h2h::net::frame_error;
using nlohmann::json;

namespace {

/// Decodes `text` and expects a command.
client_command ok(std::string_view text, const codec_limits& lim = {}) {
  auto r = decode_client_frame(text, lim);
  if (auto* e = std::get_if<frame_error>(&r)) {
    ADD_FAILURE() << "refused " << text << ": " << h2h::describe(e->code).code
                  << " " << e->message;
    return {};
  }
  return std::get<client_command>(r);
}

/// Decodes `text` and expects a refusal.
frame_error refused(std::string_view text, const codec_limits& lim = {}) {
  auto r = decode_client_frame(text, lim);
  if (auto* e = std::get_if<frame_error>(&r))
    return *e;
  ADD_FAILURE() << "accepted " << text;
  return {errc::none, "", ""};
}

/// A MESSAGE frame with the given text (already valid JSON string content).
std::string message_frame(const std::string& text) {
  return R"({"type":"MESSAGE","roomId":"r1","message":)" + json(text).dump()
         + "}";
}

} // namespace

// -- decoding good frames -----------------------------------------------------

TEST(json_decode, enter_with_last_seq) {
  auto c = ok(R"({"type":"ENTER","roomId":"r1","sender":"alice",)"
              R"("message":"","lastSeq":41})");
  EXPECT_EQ(c.kind, command_kind::enter);
  EXPECT_EQ(c.room_id, "r1");
  EXPECT_EQ(c.sender, "alice");
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.last_seq, 41);
}

TEST(json_decode, enter_without_last_seq_asks_no_replay) {
  auto c = ok(R"({"type":"ENTER","roomId":"r1","sender":"alice"})");
  EXPECT_EQ(c.kind, command_kind::enter);
  EXPECT_EQ(c.last_seq, -1);
  EXPECT_EQ(ok(R"({"type":"ENTER","roomId":"r1","lastSeq":null})").last_seq,
            -1);
  EXPECT_EQ(ok(R"({"type":"ENTER","roomId":"r1","lastSeq":0})").last_seq, 0);
}

TEST(json_decode, huge_last_seq_is_clamped_to_int64_max) {
  auto c
    = ok(R"({"type":"ENTER","roomId":"r1","lastSeq":18446744073709551615})");
  EXPECT_EQ(c.last_seq, INT64_MAX);
}

TEST(json_decode, enter_and_exit_drop_client_text) {
  EXPECT_EQ(ok(R"({"type":"ENTER","roomId":"r","message":"hi"})").text, "");
  EXPECT_EQ(ok(R"({"type":"EXIT","roomId":"r","message":"bye"})").text, "");
}

TEST(json_decode, message_with_client_msg_id) {
  auto c = ok(R"({"type":"MESSAGE","roomId":"r1","sender":"alice",)"
              R"("message":"hi","clientMsgId":"c-17"})");
  client_command want{
    command_kind::message, "r1", "alice", "hi", "c-17", -1, {}};
  EXPECT_EQ(c, want);
}

TEST(json_decode, talk_is_a_synonym_of_message) {
  auto c = ok(R"({"type":"TALK","roomId":"r1","message":"hi"})");
  EXPECT_EQ(c.kind, command_kind::message);
  EXPECT_EQ(c.text, "hi");
}

TEST(json_decode, exit) {
  auto c = ok(R"({"type":"EXIT","roomId":"room_2-b","sender":"bob"})");
  EXPECT_EQ(c.kind, command_kind::exit);
  EXPECT_EQ(c.room_id, "room_2-b");
}

TEST(json_decode, unknown_fields_are_ignored) {
  auto c = ok(R"({"type":"MESSAGE","roomId":"r1","message":"hi","senderId":7,)"
              R"("extra":{"nested":[1,2,{"x":null}]},"ts":"whenever"})");
  EXPECT_EQ(c.text, "hi");
  EXPECT_EQ(c.room_id, "r1");
}

TEST(json_decode, null_optional_fields_count_as_absent) {
  auto c = ok(R"({"type":"MESSAGE","roomId":"r1","message":"hi",)"
              R"("clientMsgId":null,"sender":null})");
  EXPECT_EQ(c.client_msg_id, "");
  EXPECT_EQ(c.sender, "");
}

// -- refusals -----------------------------------------------------------------

TEST(json_refuse, not_json_is_global_004) {
  for (auto text :
       {"", "{", "hello", R"({"type":})", "{'type':'ENTER'}",
        "{\"type\":\"MESSAGE\",\"roomId\":\"r\",\"message\":\"\xff\"}"})
    EXPECT_EQ(refused(text).code, errc::unreadable_json) << text;
  EXPECT_EQ(h2h::describe(errc::unreadable_json).code, "GLOBAL_004");
}

TEST(json_refuse, json_that_is_not_an_object_is_chat_004) {
  for (auto text : {"[1,2]", "[]", "42", "\"ENTER\"", "null", "true"})
    EXPECT_EQ(refused(text).code, errc::bad_frame) << text;
  EXPECT_EQ(h2h::describe(errc::bad_frame).code, "CHAT_004");
}

TEST(json_refuse, missing_or_empty_type_or_room_is_chat_004) {
  for (auto text :
       {R"({"roomId":"r1","message":"hi"})", R"({"type":"","roomId":"r1"})",
        R"({"type":"ENTER"})", R"({"type":"ENTER","roomId":""})", R"({})"})
    EXPECT_EQ(refused(text).code, errc::bad_frame) << text;
}

TEST(json_refuse, unknown_type_is_chat_004) {
  for (auto text : {R"({"type":"SHOUT","roomId":"r1"})",
                    R"({"type":"message","roomId":"r1","message":"x"})",
                    R"({"type":"ACK","roomId":"r1"})"})
    EXPECT_EQ(refused(text).code, errc::bad_frame) << text;
}

TEST(json_refuse, wrong_field_types_are_chat_004) {
  for (auto text :
       {R"({"type":1,"roomId":"r1"})", R"({"type":"ENTER","roomId":7})",
        R"({"type":"ENTER","roomId":["r1"]})",
        R"({"type":"ENTER","roomId":"r1","sender":42})",
        R"({"type":"MESSAGE","roomId":"r1","message":{"t":"hi"}})",
        R"({"type":"MESSAGE","roomId":"r1","message":"x","clientMsgId":5})",
        R"({"type":"ENTER","roomId":"r1","lastSeq":"41"})",
        R"({"type":"ENTER","roomId":"r1","lastSeq":1.5})",
        R"({"type":"ENTER","roomId":"r1","lastSeq":true})"})
    EXPECT_EQ(refused(text).code, errc::bad_frame) << text;
}

TEST(json_refuse, message_without_text_is_chat_004) {
  EXPECT_EQ(refused(R"({"type":"MESSAGE","roomId":"r1","message":""})").code,
            errc::bad_frame);
  EXPECT_EQ(refused(R"({"type":"MESSAGE","roomId":"r1"})").code,
            errc::bad_frame);
  EXPECT_EQ(refused(R"({"type":"TALK","roomId":"r1","message":null})").code,
            errc::bad_frame);
}

TEST(json_refuse, message_length_counts_characters_not_bytes) {
  std::string two_byte_chars;
  for (int i = 0; i < 4000; ++i)
    two_byte_chars += "\xc3\xa9"; // é: 8000 bytes, 4000 characters
  EXPECT_EQ(ok(message_frame(two_byte_chars)).text, two_byte_chars);
  auto e = refused(message_frame(two_byte_chars + "\xc3\xa9"));
  EXPECT_EQ(e.code, errc::message_too_long);
  EXPECT_EQ(h2h::describe(e.code).code, "CHAT_005");
  ok(message_frame(std::string(4000, 'a')));
  EXPECT_EQ(refused(message_frame(std::string(4001, 'a'))).code,
            errc::message_too_long);
}

TEST(json_refuse, message_limit_follows_codec_limits) {
  codec_limits lim;
  lim.max_message_chars = 3;
  ok(message_frame("abc"), lim);
  EXPECT_EQ(refused(message_frame("abcd"), lim).code, errc::message_too_long);
}

TEST(json_refuse, client_msg_id_over_64_chars_is_chat_004) {
  auto frame = [](std::size_t n) {
    return R"({"type":"MESSAGE","roomId":"r1","message":"x","clientMsgId":")"
           + std::string(n, 'c') + "\"}";
  };
  EXPECT_EQ(ok(frame(64)).client_msg_id, std::string(64, 'c'));
  EXPECT_EQ(refused(frame(65)).code, errc::bad_frame);
}

TEST(json_refuse, client_msg_id_limit_counts_characters_not_bytes) {
  // DESIGN.md §2.1: "clientMsgId (optional, <= 64 chars)"; 64 x U+00E9.
  std::string id;
  for (int i = 0; i < 64; ++i)
    id += "\xc3\xa9";
  auto c = ok(R"({"type":"MESSAGE","roomId":"r1","message":"x","clientMsgId":")"
              + id + "\"}");
  EXPECT_EQ(c.client_msg_id, id);
}

TEST(json_refuse, sender_over_64_chars_is_chat_004) {
  auto frame = [](std::size_t n) {
    return R"({"type":"ENTER","roomId":"r1","sender":")" + std::string(n, 's')
           + "\"}";
  };
  ok(frame(64));
  EXPECT_EQ(refused(frame(65)).code, errc::bad_frame);
}

// The name rule of join and profile (docs/security.md) holds for the
// names trusted-mode frames carry too: they reach every member's screen.
TEST(json_refuse, sender_with_control_or_bidi_characters_is_chat_004) {
  for (std::string name : {R"(al\u0007ice)", R"(al\nice)", R"(al\u202eice)",
                           R"(al\u2028ice)", R"(al\u0085ice)"}) {
    auto r
      = refused(R"({"type":"ENTER","roomId":"r1","sender":")" + name + "\"}");
    EXPECT_EQ(r.code, errc::bad_frame) << name;
    EXPECT_NE(r.message.find("sender"), std::string::npos) << r.message;
  }
  ok(R"({"type":"ENTER","roomId":"r1","sender":"\u00e9l\u00e8ve \u200f"})");
}

TEST(json_refuse, invalid_room_ids_are_chat_004) {
  std::vector<std::string> rooms = {
    "a b", "a/b", std::string(65, 'r'), "r\xc3\xa9", "r.1", "../x", "r\\u0000"};
  for (auto& room : rooms)
    EXPECT_EQ(refused(R"({"type":"ENTER","roomId":")" + room + "\"}").code,
              errc::bad_frame)
      << room;
  ok(R"({"type":"ENTER","roomId":")" + std::string(64, 'r') + "\"}");
}

TEST(json_refuse, negative_last_seq_is_chat_004) {
  EXPECT_EQ(refused(R"({"type":"ENTER","roomId":"r1","lastSeq":-1})").code,
            errc::bad_frame);
}

TEST(json_refuse, readable_client_msg_id_is_echoed) {
  auto e = refused(R"({"type":"SHOUT","roomId":"r1","clientMsgId":"c-1"})");
  EXPECT_EQ(e.client_msg_id, "c-1");
  e = refused(
    message_frame(std::string(4001, 'a')).insert(1, R"("clientMsgId":"c-2",)"));
  EXPECT_EQ(e.code, errc::message_too_long);
  EXPECT_EQ(e.client_msg_id, "c-2");
  e = refused(R"({"type":"ENTER","roomId":"a b","clientMsgId":"c-3"})");
  EXPECT_EQ(e.client_msg_id, "c-3");
  // Unreadable ids are not echoed.
  EXPECT_EQ(refused(R"({"type":"SHOUT","clientMsgId":9})").client_msg_id, "");
  EXPECT_EQ(refused(R"({"clientMsgId":"c-4")").client_msg_id, "");
}

TEST(json_refuse, valid_room_id_rules) {
  using h2h::net::valid_room_id;
  EXPECT_TRUE(valid_room_id("Az09-_"));
  EXPECT_FALSE(valid_room_id(""));
  EXPECT_TRUE(valid_room_id("abcd", 4));
  EXPECT_FALSE(valid_room_id("abcde", 4));
  EXPECT_FALSE(valid_room_id("a\tb"));
}

// -- never throws on hostile input --------------------------------------------

TEST(json_fuzz, every_truncated_prefix_is_unreadable_json) {
  std::string frame
    = R"({"type":"MESSAGE","roomId":"r1","sender":"al\"ice",)"
      R"("message":"h\u00e9llo \ud83d\ude00","clientMsgId":"c-1",)"
      R"("lastSeq":12,"x":[1,{"y":null}]})";
  for (std::size_t n = 0; n < frame.size(); ++n) {
    h2h::net::decode_result r;
    ASSERT_NO_THROW(r = decode_client_frame(frame.substr(0, n), {})) << n;
    auto* e = std::get_if<frame_error>(&r);
    ASSERT_NE(e, nullptr) << n;
    EXPECT_EQ(e->code, errc::unreadable_json) << n;
  }
  EXPECT_EQ(ok(frame).text, "h\xc3\xa9llo \xf0\x9f\x98\x80");
}

TEST(json_fuzz, random_garbage_and_mutations_always_give_a_result) {
  std::mt19937 rng{20241127};
  std::string base = R"({"type":"MESSAGE","roomId":"r1","message":"hi",)"
                     R"("clientMsgId":"c","lastSeq":3})";
  const std::set<errc> allowed
    = {errc::unreadable_json, errc::bad_frame, errc::message_too_long};
  for (int i = 0; i < 5000; ++i) {
    std::string text;
    if (i % 2 == 0) { // random bytes
      text.resize(rng() % 120);
      for (auto& c : text)
        c = static_cast<char>(rng());
    } else { // a valid frame with a few bytes changed
      text = base;
      for (int j = 0, n = 1 + static_cast<int>(rng() % 4); j < n; ++j)
        text[rng() % text.size()] = static_cast<char>(rng());
    }
    h2h::net::decode_result r;
    ASSERT_NO_THROW(r = decode_client_frame(text, {})) << i;
    if (auto* e = std::get_if<frame_error>(&r)) {
      EXPECT_TRUE(allowed.count(e->code)) << i;
      EXPECT_FALSE(e->message.empty()) << i;
    } else {
      auto& c = std::get<client_command>(r);
      EXPECT_TRUE(h2h::net::valid_room_id(c.room_id)) << i;
      EXPECT_TRUE(h2h::net::valid_utf8(c.text)) << i;
    }
  }
}

TEST(json_fuzz, deep_nesting_does_not_crash) {
  std::string deep = std::string(30000, '[') + std::string(30000, ']');
  EXPECT_EQ(refused(deep).code, errc::bad_frame);
  auto c = ok(R"({"type":"ENTER","roomId":"r","x":)" + deep + "}");
  EXPECT_EQ(c.room_id, "r");
}

// -- encoding -----------------------------------------------------------------

namespace {

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> out;
  for (auto& [k, v] : j.items())
    out.insert(k);
  return out;
}

h2h::room_event sample_event() {
  h2h::room_event ev;
  ev.room_id = "r1";
  ev.seq = 42;
  ev.kind = h2h::event_kind::message;
  ev.sender = "alice";
  ev.sender_id = 7;
  ev.text = "hi";
  ev.ts_ms = 1700000000123;
  ev.client_msg_id = "c-17";
  return ev;
}

} // namespace

TEST(json_encode, event_has_every_field_of_a_broadcast) {
  auto j = json::parse(h2h::net::encode_event(sample_event()));
  EXPECT_EQ(keys_of(j),
            (std::set<std::string>{"type", "roomId", "sender", "senderId",
                                   "message", "seq", "ts", "clientMsgId"}));
  EXPECT_EQ(j["type"], "MESSAGE");
  EXPECT_EQ(j["roomId"], "r1");
  EXPECT_EQ(j["sender"], "alice");
  EXPECT_EQ(j["senderId"], 7);
  EXPECT_EQ(j["message"], "hi");
  EXPECT_EQ(j["seq"], 42);
  EXPECT_EQ(j["ts"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["clientMsgId"], "c-17");
}

TEST(json_encode, event_omits_zero_sender_id_and_empty_client_msg_id) {
  auto ev = sample_event();
  ev.kind = h2h::event_kind::enter;
  ev.sender_id = 0;
  ev.client_msg_id.clear();
  ev.seq = UINT64_MAX;
  auto j = json::parse(h2h::net::encode_event(ev));
  EXPECT_EQ(keys_of(j), (std::set<std::string>{"type", "roomId", "sender",
                                               "message", "seq", "ts"}));
  EXPECT_EQ(j["type"], "ENTER");
  EXPECT_EQ(j["seq"].get<std::uint64_t>(), UINT64_MAX);
  ev.kind = h2h::event_kind::exit;
  EXPECT_EQ(json::parse(h2h::net::encode_event(ev))["type"], "EXIT");
}

TEST(json_encode, strings_are_escaped_and_non_ascii_passes_through) {
  std::string out;
  h2h::net::append_json_string(out, "a\"b\\c\n\r\t\b\f\x01\x1f\x7f \xc3\xa9");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f \xc3\xa9\"");
}

TEST(json_encode, every_byte_below_0x20_round_trips) {
  auto ev = sample_event();
  ev.text.clear();
  for (int c = 0; c < 0x20; ++c)
    ev.text += static_cast<char>(c);
  ev.text += "\"\\/\xe2\x82\xac\xf0\x9f\x98\x80";
  ev.sender = "quote\"back\\slash";
  auto wire = h2h::net::encode_event(ev);
  auto j = json::parse(wire);
  EXPECT_EQ(j["message"], ev.text);
  EXPECT_EQ(j["sender"], ev.sender);
  EXPECT_NE(wire.find("\xe2\x82\xac\xf0\x9f\x98\x80"), std::string::npos)
    << "non-ASCII must not be \\u-escaped";
}

TEST(json_encode, ack_shape) {
  EXPECT_EQ(h2h::net::encode_ack("r1", "c-17", 42),
            R"({"type":"ACK","roomId":"r1","clientMsgId":"c-17","seq":42})");
}

TEST(json_encode, error_shape_with_and_without_client_msg_id) {
  EXPECT_EQ(h2h::net::encode_error(errc::not_in_room, "not in room r1", "c-17"),
            R"({"type":"ERROR","code":"CHAT_003","message":"not in room r1",)"
            R"("clientMsgId":"c-17"})");
  EXPECT_EQ(h2h::net::encode_error(errc::unreadable_json, "bad \"json\"", ""),
            R"({"type":"ERROR","code":"GLOBAL_004","message":"bad \"json\""})");
}

TEST(json_encode, timestamps_are_rfc3339_utc_with_millis) {
  using h2h::net::format_timestamp;
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_timestamp(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(-1000), "1969-12-31T23:59:59.000Z");
}

TEST(json_encode, kind_names) {
  EXPECT_EQ(h2h::net::kind_name(h2h::event_kind::message), "MESSAGE");
  EXPECT_EQ(h2h::net::kind_name(h2h::event_kind::enter), "ENTER");
  EXPECT_EQ(h2h::net::kind_name(h2h::event_kind::exit), "EXIT");
}
