// The raw JSON protocol of /message as a pure object: every command, every
// decode error, every encoding and which answers carry which ids — the
// bytes today's clients get, exactly.
#include "net/protocol/raw_json/raw_json_protocol.hpp"

#include <string>

#include <gtest/gtest.h>

using namespace h2h;
using namespace h2h::net;

namespace {

struct raw_json : ::testing::Test {
  codec_limits limits;
  raw_json_protocol proto{limits};

  client_command command(std::string_view text) {
    auto d = proto.decode(text);
    auto* cmd = std::get_if<client_command>(&d);
    if (!cmd) {
      ADD_FAILURE() << "not a command: " << text;
      return {};
    }
    return *cmd;
  }

  protocol_error error(std::string_view text) {
    auto d = proto.decode(text);
    auto* err = std::get_if<protocol_error>(&d);
    if (!err) {
      ADD_FAILURE() << "not an error: " << text;
      return {};
    }
    return *err;
  }
};

std::string str(const wire_bytes& b) {
  return b ? *b : std::string{"<none>"};
}

room_event sample_event() {
  room_event ev;
  ev.room_id = "r1";
  ev.seq = 7;
  ev.kind = event_kind::message;
  ev.sender = "alice";
  ev.sender_id = 42;
  ev.text = "hi \"you\"";
  ev.ts_ms = 1'700'000'000'123;
  ev.client_msg_id = "c-1";
  return ev;
}

reply_to to(command_kind k, std::string room, std::string id) {
  return reply_to{k, std::move(room), std::move(id), {}};
}

} // namespace

// -- decoding -----------------------------------------------------------------

TEST_F(raw_json, every_command_decodes) {
  auto enter = command(R"({"type":"ENTER","roomId":"r1","sender":"a",)"
                       R"("lastSeq":3})");
  EXPECT_EQ(enter.kind, command_kind::enter);
  EXPECT_EQ(enter.room_id, "r1");
  EXPECT_EQ(enter.last_seq, 3);
  auto msg = command(R"({"type":"MESSAGE","roomId":"r1","sender":"a",)"
                     R"("message":"hi","clientMsgId":"c-9"})");
  EXPECT_EQ(msg.kind, command_kind::message);
  EXPECT_EQ(msg.text, "hi");
  EXPECT_EQ(msg.client_msg_id, "c-9");
  EXPECT_EQ(command(R"({"type":"TALK","roomId":"r1","message":"x"})").kind,
            command_kind::message);
  EXPECT_EQ(command(R"({"type":"EXIT","roomId":"r1"})").kind,
            command_kind::exit);
}

TEST_F(raw_json, a_refused_frame_is_an_error_that_keeps_the_connection) {
  auto e = error("not json");
  EXPECT_FALSE(e.fatal);
  EXPECT_EQ(str(e.bytes), R"({"type":"ERROR","code":"GLOBAL_004",)"
                          R"("message":"frame is not valid JSON"})");
  e = error(R"({"type":"MESSAGE","roomId":"r1","clientMsgId":"c-2"})");
  EXPECT_FALSE(e.fatal);
  EXPECT_EQ(str(e.bytes), R"({"type":"ERROR","code":"CHAT_004",)"
                          R"("message":"message is required",)"
                          R"("clientMsgId":"c-2"})");
  e = error(R"([1])");
  EXPECT_EQ(str(e.bytes), R"({"type":"ERROR","code":"CHAT_004",)"
                          R"("message":"frame must be a JSON object"})");
  limits.max_message_chars = 3;
  e = error(R"({"type":"MESSAGE","roomId":"r1","message":"long"})");
  EXPECT_EQ(str(e.bytes),
            R"({"type":"ERROR","code":"CHAT_005",)"
            R"("message":"message is longer than 3 characters"})");
}

TEST_F(raw_json, decode_results_match_the_codec_for_every_frame) {
  for (std::string_view text :
       {R"({"type":"ENTER","roomId":"r1"})", R"({"type":"EXIT"})",
        R"({"type":"NOPE","roomId":"r1","clientMsgId":"x"})", "{",
        R"({"type":"ENTER","roomId":"r 1"})",
        R"({"type":"ENTER","roomId":"r1","lastSeq":-1})"}) {
    auto want = decode_client_frame(text, limits);
    auto got = proto.decode(text);
    if (auto* c = std::get_if<client_command>(&want)) {
      ASSERT_TRUE(std::holds_alternative<client_command>(got)) << text;
      EXPECT_EQ(std::get<client_command>(got), *c);
    } else {
      auto& fe = std::get<frame_error>(want);
      ASSERT_TRUE(std::holds_alternative<protocol_error>(got)) << text;
      EXPECT_EQ(str(std::get<protocol_error>(got).bytes),
                encode_error(fe.code, fe.message, fe.client_msg_id));
    }
  }
}

// -- encoding -----------------------------------------------------------------

TEST_F(raw_json, an_event_is_today_s_frame) {
  auto ev = make_event(sample_event());
  EXPECT_EQ(proto.encode_event(ev).joined(),
            R"({"type":"MESSAGE","roomId":"r1","sender":"alice",)"
            R"("senderId":42,"message":"hi \"you\"","seq":7,)"
            R"("ts":"2023-11-14T22:13:20.123Z","clientMsgId":"c-1"})");
  for (auto k : {event_kind::enter, event_kind::exit}) {
    auto data = sample_event();
    data.kind = k;
    data.client_msg_id.clear();
    data.sender_id = 0;
    EXPECT_EQ(proto.encode_event(make_event(data)).joined(),
              net::encode_event(data));
  }
}

TEST_F(raw_json, only_a_message_with_a_client_msg_id_is_acknowledged) {
  EXPECT_EQ(str(proto.encode_ack(to(command_kind::message, "r1", "c-17"), 42)),
            R"({"type":"ACK","roomId":"r1","clientMsgId":"c-17","seq":42})");
  EXPECT_EQ(proto.encode_ack(to(command_kind::message, "r1", ""), 42), nullptr);
  EXPECT_EQ(proto.encode_ack(to(command_kind::enter, "r1", "c-1"), 0), nullptr);
  EXPECT_EQ(proto.encode_ack(to(command_kind::exit, "r1", "c-1"), 0), nullptr);
}

TEST_F(raw_json, refusals_echo_the_id_of_a_message_or_exit_never_of_an_enter) {
  EXPECT_EQ(str(proto.encode_refusal(to(command_kind::message, "r1", "c-17"),
                                     errc::not_in_room, "not in room r1")),
            R"({"type":"ERROR","code":"CHAT_003","message":"not in room r1",)"
            R"("clientMsgId":"c-17"})");
  EXPECT_EQ(str(proto.encode_refusal(to(command_kind::exit, "r1", "c-3"),
                                     errc::not_in_room, "not in room r1")),
            R"({"type":"ERROR","code":"CHAT_003","message":"not in room r1",)"
            R"("clientMsgId":"c-3"})");
  EXPECT_EQ(
    str(proto.encode_refusal(to(command_kind::enter, "r1", "c-4"),
                             errc::unavailable, "room unavailable, retry")),
    R"({"type":"ERROR","code":"CHAT_006",)"
    R"("message":"room unavailable, retry"})");
  EXPECT_EQ(str(proto.encode_refusal(to(command_kind::message, "r1", ""),
                                     errc::rate_limited,
                                     "sending too fast, slow down")),
            R"({"type":"ERROR","code":"GLOBAL_429",)"
            R"("message":"sending too fast, slow down"})");
}

TEST_F(raw_json, every_error_code_encodes_as_its_table_entry) {
  for (int i = 0; i <= static_cast<int>(errc::owner_lost); ++i) {
    auto code = static_cast<errc>(i);
    EXPECT_EQ(str(proto.encode_notice(code, "why")),
              encode_error(code, "why", {}));
    EXPECT_EQ(str(proto.encode_refusal(to(command_kind::message, "r", "i"),
                                       code, "why")),
              encode_error(code, "why", "i"));
  }
}

TEST_F(raw_json, a_notice_names_no_message) {
  EXPECT_EQ(str(proto.encode_notice(errc::no_such_room, "room r1 was deleted")),
            R"({"type":"ERROR","code":"CHAT_001",)"
            R"("message":"room r1 was deleted"})");
}

TEST_F(raw_json, the_end_of_a_session_says_why_only_for_tokens_and_logouts) {
  EXPECT_EQ(str(proto.encode_end(end_reason::token_expired)),
            R"({"type":"ERROR","code":"GLOBAL_104",)"
            R"("message":"the access token has expired"})");
  EXPECT_EQ(str(proto.encode_end(end_reason::session_ended)),
            R"({"type":"ERROR","code":"GLOBAL_103",)"
            R"("message":"the session has ended"})");
  for (auto why :
       {end_reason::normal, end_reason::going_away, end_reason::slow_consumer,
        end_reason::refused, end_reason::internal_error})
    EXPECT_EQ(proto.encode_end(why), nullptr);
}

TEST_F(raw_json, a_kicked_session_hears_it_before_the_close) {
  EXPECT_EQ(str(proto.encode_end(end_reason::kicked)),
            R"({"type":"ERROR","code":"GLOBAL_105",)"
            R"("message":"kicked by an operator"})");
}
