// The STOMP protocol of /ws as a pure object: CONNECT negotiation, frames
// into commands, MESSAGE/RECEIPT/ERROR out, DISCONNECT after what is
// pending.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/protocol/stomp/stomp_protocol.hpp"

using namespace h2h;
using namespace h2h::net;
using namespace std::string_literals;

namespace {

struct stomp_fixture : ::testing::Test {
  stomp_settings settings;
  std::unique_ptr<stomp_protocol> proto;

  void SetUp() override {
    settings.server = "h2h/test";
    settings.heartbeat = std::chrono::milliseconds{1000};
    settings.max_subscriptions = 3;
    proto = std::make_unique<stomp_protocol>(settings);
  }

  std::vector<decoded> feed(std::string_view text) {
    std::vector<decoded> out;
    proto->decode_all(text, out);
    return out;
  }

  /// CONNECT with `headers`, accepted for member 7 "alice".
  std::string connect(std::string headers = "accept-version:1.2\n") {
    auto out = feed("CONNECT\n" + headers + "\n\0"s);
    EXPECT_EQ(out.size(), 1u);
    EXPECT_TRUE(out.size() == 1
                && std::holds_alternative<connect_request>(out[0]));
    session_identity who{true, 7, "alice"};
    std::vector<decoded> held;
    auto bytes = proto->accept_connect(who, held);
    return bytes ? *bytes : "";
  }

  static const client_command& cmd(const std::vector<decoded>& out,
                                   std::size_t i = 0) {
    static const client_command none;
    if (i >= out.size() || !std::holds_alternative<client_command>(out[i])) {
      ADD_FAILURE() << "no command at " << i;
      return none;
    }
    return std::get<client_command>(out[i]);
  }

  static std::string error_bytes(const std::vector<decoded>& out) {
    for (auto& d : out)
      if (auto* e = std::get_if<protocol_error>(&d)) {
        EXPECT_TRUE(e->fatal) << "a STOMP ERROR always ends the session";
        return *e->bytes;
      }
    return "";
  }
};

event_ptr talk(std::string room, std::uint64_t seq, std::string text) {
  room_event ev;
  ev.room_id = std::move(room);
  ev.seq = seq;
  ev.kind = event_kind::message;
  ev.sender = "alice";
  ev.sender_id = 7;
  ev.text = std::move(text);
  ev.ts_ms = 1764622800123; // 2025-12-01T21:00:00.123Z
  return make_event(std::move(ev));
}

} // namespace

TEST_F(stomp_fixture, frames_before_connect_are_an_error) {
  auto err = error_bytes(
    feed("SUBSCRIBE\nid:0\ndestination:/subscribe/room/a\n\n\0"s));
  EXPECT_EQ(err.rfind("ERROR\n", 0), 0u);
  EXPECT_NE(err.find("message:CONNECT first\n"), std::string::npos) << err;
}

TEST_F(stomp_fixture, connect_carries_the_bearer_token_or_passcode) {
  auto out
    = feed("CONNECT\naccept-version:1.2\nAuthorization:Bearer abc.def\n\n\0"s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<connect_request>(out[0]).token, "abc.def");
  stomp_protocol other{settings};
  std::vector<decoded> o2;
  other.decode_all("STOMP\naccept-version:1.1\npasscode:xyz\n\n\0"s, o2);
  ASSERT_EQ(o2.size(), 1u);
  EXPECT_EQ(std::get<connect_request>(o2[0]).token, "xyz");
}

TEST_F(stomp_fixture, connected_names_version_heartbeat_and_server) {
  auto c = connect("accept-version:1.0,1.1,1.2\nheart-beat:500,2000\n");
  EXPECT_EQ(c.rfind("CONNECTED\n", 0), 0u);
  EXPECT_NE(c.find("version:1.2\n"), std::string::npos) << c;
  EXPECT_NE(c.find("heart-beat:1000,1000\n"), std::string::npos) << c;
  EXPECT_NE(c.find("server:h2h/test\n"), std::string::npos) << c;
  // Each way the larger of the offer and the wish.
  EXPECT_EQ(proto->heartbeats().send, std::chrono::milliseconds{2000});
  EXPECT_EQ(proto->heartbeats().receive, std::chrono::milliseconds{1000});
}

TEST_F(stomp_fixture, zero_heartbeat_on_either_side_means_none) {
  connect("accept-version:1.2\nheart-beat:0,0\n");
  EXPECT_EQ(proto->heartbeats().send.count(), 0);
  EXPECT_EQ(proto->heartbeats().receive.count(), 0);
}

TEST_F(stomp_fixture, version_negotiation_picks_the_highest_common) {
  connect("accept-version:1.0,1.1\n");
  EXPECT_EQ(proto->version(), stomp::version::v1_1);
  stomp_protocol none{settings};
  std::vector<decoded> out;
  none.decode_all("CONNECT\n\n\0"s, out); // no accept-version: 1.0
  EXPECT_EQ(none.version(), stomp::version::v1_0);
  stomp_protocol hinted{settings};
  hinted.negotiated("v11.stomp");
  out.clear();
  hinted.decode_all("CONNECT\n\n\0"s, out);
  EXPECT_EQ(hinted.version(), stomp::version::v1_1);
  stomp_protocol bad{settings};
  out.clear();
  bad.decode_all("CONNECT\naccept-version:2.0\n\n\0"s, out);
  EXPECT_NE(error_bytes(out).find("supported versions"), std::string::npos);
}

TEST_F(stomp_fixture, frames_behind_connect_wait_for_its_answer) {
  auto out = feed("CONNECT\naccept-version:1.2\n\n\0"
                  "SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\n\n\0"s);
  ASSERT_EQ(out.size(), 1u) << "the SUBSCRIBE is held";
  std::vector<decoded> held;
  proto->accept_connect(session_identity{true, 7, "alice"}, held);
  EXPECT_EQ(cmd(held).kind, command_kind::enter);
  EXPECT_EQ(cmd(held).room_id, "r1");
}

TEST_F(stomp_fixture, subscribe_is_enter_with_last_seq_and_receipt) {
  connect();
  auto out = feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\n"
                  "last-seq:41\nreceipt:rc-1\n\n\0"s);
  EXPECT_EQ(cmd(out).kind, command_kind::enter);
  EXPECT_EQ(cmd(out).room_id, "r1");
  EXPECT_EQ(cmd(out).last_seq, 41);
  EXPECT_EQ(cmd(out).receipt, "rc-1");
  EXPECT_EQ(cmd(out).sender, "") << "authenticated: the token names the sender";
  reply_to to{command_kind::enter, "r1", "", "rc-1"};
  auto ack = proto->encode_ack(to, 0);
  ASSERT_TRUE(ack);
  EXPECT_EQ(*ack, "RECEIPT\nreceipt-id:rc-1\n\n\0"s);
}

TEST_F(stomp_fixture, subscription_errors) {
  connect();
  feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\n\n\0"s);
  EXPECT_NE(
    error_bytes(feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r2\n\n\0"s))
      .find("taken"),
    std::string::npos);
  for (const char* bad :
       {"SUBSCRIBE\nid:s2\ndestination:/subscribe/room/r1\n\n",
        "SUBSCRIBE\nid:s2\ndestination:/topic/x\n\n",
        "SUBSCRIBE\ndestination:/subscribe/room/r2\n\n",
        "SUBSCRIBE\nid:s2\ndestination:/subscribe/room/r2\nack:client\n\n",
        "SUBSCRIBE\nid:s2\ndestination:/subscribe/room/r2\nlast-seq:-1\n\n"}) {
    SetUp();
    connect();
    feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\n\n\0"s);
    EXPECT_NE(error_bytes(feed(std::string{bad} + '\0')), "") << bad;
  }
}

TEST_F(stomp_fixture, subscriptions_are_bounded) {
  connect();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(error_bytes(feed("SUBSCRIBE\nid:" + std::to_string(i)
                               + "\ndestination:/subscribe/room/r"
                               + std::to_string(i) + "\n\n\0"s)),
              "");
  EXPECT_NE(
    error_bytes(feed("SUBSCRIBE\nid:9\ndestination:/subscribe/room/r9\n\n\0"s))
      .find("too many subscriptions"),
    std::string::npos);
}

TEST_F(stomp_fixture, message_frame_has_the_subscription_and_shared_part) {
  connect();
  feed("SUBSCRIBE\nid:sub\\c1\ndestination:/subscribe/room/r1\n\n\0"s);
  auto ev = talk("r1", 42, "hi \"you\"");
  auto msg = proto->encode_event(ev);
  ASSERT_TRUE(msg);
  auto bytes = msg.joined();
  std::string body
    = R"({"type":"TALK","roomId":"r1","senderId":7,"sender":"alice",)"
      R"("message":"hi \"you\"","createdDate":"2025-12-01T21:00:00.123Z","seq":42})";
  EXPECT_EQ(bytes,
            "MESSAGE\nsubscription:sub\\c1\ndestination:/subscribe/room/r1\n"
            "message-id:r1:42\ncontent-type:application/json\n"
            "content-length:"
              + std::to_string(body.size()) + "\n\n" + body + '\0');
  // A second connection shares the event's cached tail.
  stomp_protocol other{settings};
  std::vector<decoded> out;
  other.decode_all("CONNECT\naccept-version:1.2\n\n\0"s, out);
  other.accept_connect(session_identity{true, 8, "bob"}, out);
  other.decode_all("SUBSCRIBE\nid:x\ndestination:/subscribe/room/r1\n\n\0"s,
                   out);
  auto m2 = other.encode_event(ev);
  ASSERT_TRUE(m2);
  // The shared part is the very same bytes (made once per event), behind
  // each subscription's own head (made once per SUBSCRIBE): a delivery
  // copies nothing.
  EXPECT_EQ(m2.body.get(), msg.body.get());
  EXPECT_EQ(*m2.head, "MESSAGE\nsubscription:x\n");
  EXPECT_EQ(*msg.head, "MESSAGE\nsubscription:sub\\c1\n");
  EXPECT_EQ(proto->encode_event(talk("r1", 43, "again")).head.get(),
            msg.head.get());
  EXPECT_FALSE(proto->encode_event(talk("r2", 1, "x"))) << "not subscribed";
}

TEST_F(stomp_fixture, a_bound_room_encodes_alike_until_unsubscribed) {
  connect();
  feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\n\n\0"s);
  EXPECT_EQ(proto->bind_room("r2"), nullptr) << "not subscribed";
  auto bound = proto->bind_room("r1");
  ASSERT_NE(bound, nullptr);
  auto ev = talk("r1", 5, "x");
  auto m = proto->encode_bound_event(ev, *bound);
  ASSERT_TRUE(m);
  EXPECT_EQ(m.joined(), proto->encode_event(ev).joined());
  EXPECT_EQ(m.head.get(), proto->encode_event(ev).head.get());
  // The room keeps the binding; the UNSUBSCRIBE ends it at once.
  feed("UNSUBSCRIBE\nid:s1\n\n\0"s);
  EXPECT_FALSE(proto->encode_bound_event(talk("r1", 6, "y"), *bound));
  feed("SUBSCRIBE\nid:s2\ndestination:/subscribe/room/r1\n\n\0"s);
  EXPECT_FALSE(proto->encode_bound_event(talk("r1", 7, "z"), *bound))
    << "a new subscription to the room is bound anew";
  auto again = proto->bind_room("r1");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(*proto->encode_bound_event(talk("r1", 8, "w"), *again).head,
            "MESSAGE\nsubscription:s2\n");
}

TEST_F(stomp_fixture, unsubscribe_is_exit_and_stops_delivery_at_once) {
  connect();
  feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\n\n\0"s);
  auto out = feed("UNSUBSCRIBE\nid:s1\nreceipt:u\n\n\0"s);
  EXPECT_EQ(cmd(out).kind, command_kind::exit);
  EXPECT_EQ(cmd(out).room_id, "r1");
  EXPECT_FALSE(proto->encode_event(talk("r1", 3, "late")));
  EXPECT_NE(error_bytes(feed("UNSUBSCRIBE\nid:nope\n\n\0"s)), "");
}

TEST_F(stomp_fixture, send_talk_becomes_a_message_with_receipt) {
  connect();
  feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\n\n\0"s);
  auto out
    = feed("SEND\ndestination:/publish/message\nreceipt:m1\n"
           "content-type:application/json\n\n"
           R"({"type":"TALK","roomId":"r1","senderId":7,"message":"hello"})"
           "\0"s);
  EXPECT_EQ(cmd(out).kind, command_kind::message);
  EXPECT_EQ(cmd(out).text, "hello");
  EXPECT_EQ(cmd(out).receipt, "m1");
  EXPECT_FALSE(proto->finished());
}

TEST_F(stomp_fixture, send_with_someone_elses_sender_id_is_refused) {
  connect();
  auto err = error_bytes(
    feed("SEND\ndestination:/publish/message\n\n"
         R"({"type":"TALK","roomId":"r1","senderId":8,"message":"x"})"
         "\0"s));
  EXPECT_NE(err.find("code:GLOBAL_105"), std::string::npos) << err;
}

TEST_F(stomp_fixture, send_enter_and_exit) {
  connect();
  // ENTER of a room not subscribed: ERROR.
  EXPECT_NE(error_bytes(feed("SEND\ndestination:/publish/message\n\n"
                             R"({"type":"ENTER","roomId":"r1"})"
                             "\0"s)),
            "");
  SetUp();
  connect();
  feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\n\n\0"s);
  auto out = feed("SEND\ndestination:/publish/message\nreceipt:e\n\n"
                  R"({"type":"ENTER","roomId":"r1"})"
                  "\0"s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*std::get<protocol_reply>(out[0]).bytes,
            "RECEIPT\nreceipt-id:e\n\n\0"s);
  out = feed("SEND\ndestination:/publish/message\n\n"
             R"({"type":"EXIT","roomId":"r1"})"
             "\0"s);
  EXPECT_EQ(cmd(out).kind, command_kind::exit);
  EXPECT_EQ(proto->subscriptions(), 0u);
}

TEST_F(stomp_fixture, bad_send_bodies_and_destinations) {
  for (const char* bad :
       {"SEND\ndestination:/elsewhere\n\n{}",
        "SEND\ndestination:/publish/message\n\nnot json",
        "SEND\ndestination:/publish/"
        "message\n\n{\"type\":\"TALK\",\"roomId\":\"r1\"}",
        "SEND\ndestination:/publish/message\ntransaction:t\n\n{}",
        "BEGIN\ntransaction:t\n\n", "NOPE\n\n"}) {
    SetUp();
    connect();
    EXPECT_NE(error_bytes(feed(std::string{bad} + '\0')), "") << bad;
  }
}

TEST_F(stomp_fixture, too_long_message_is_chat_005) {
  settings.codec.max_message_chars = 3;
  connect();
  auto err
    = error_bytes(feed("SEND\ndestination:/publish/message\nreceipt:z\n\n"
                       R"({"type":"TALK","roomId":"r1","message":"abcd"})"
                       "\0"s));
  EXPECT_NE(err.find("code:CHAT_005"), std::string::npos) << err;
  EXPECT_NE(err.find("receipt-id:z"), std::string::npos) << err;
}

TEST_F(stomp_fixture, refusal_is_an_error_with_the_receipt_and_drops_the_room) {
  connect();
  feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\nreceipt:q\n\n\0"s);
  auto bytes = proto->encode_refusal({command_kind::enter, "r1", "", "q"},
                                     errc::not_member, "not a member");
  EXPECT_NE(bytes->find("receipt-id:q\n"), std::string::npos);
  EXPECT_NE(bytes->find("message:not a member\n"), std::string::npos);
  EXPECT_EQ(proto->subscriptions(), 0u);
  EXPECT_TRUE(proto->ends_after_error());
}

TEST_F(stomp_fixture, disconnect_receipt_waits_for_pending_commands) {
  connect();
  feed("SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\n\n\0"s);
  auto out = feed("DISCONNECT\nreceipt:bye\n\n\0"s);
  EXPECT_TRUE(out.empty()) << "the SUBSCRIBE is not answered yet";
  EXPECT_FALSE(proto->finished());
  auto ack = proto->encode_ack({command_kind::enter, "r1", "", ""}, 0);
  ASSERT_TRUE(ack);
  EXPECT_EQ(*ack, "RECEIPT\nreceipt-id:bye\n\n\0"s);
  EXPECT_TRUE(proto->finished());
  EXPECT_TRUE(feed("SEND\ndestination:/publish/message\n\n{}\0"s).empty())
    << "nothing is decoded after DISCONNECT";
}

TEST_F(stomp_fixture, disconnect_with_nothing_pending_answers_at_once) {
  connect();
  auto out = feed("DISCONNECT\nreceipt:77\n\n\0"s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*std::get<protocol_reply>(out[0]).bytes,
            "RECEIPT\nreceipt-id:77\n\n\0"s);
  EXPECT_TRUE(proto->finished());
}

TEST_F(stomp_fixture, several_frames_in_one_text_and_one_split_over_two) {
  connect();
  auto out = feed("SUBSCRIBE\nid:a\ndestination:/subscribe/room/a\n\n\0\n"
                  "SUBSCRIBE\nid:b\ndestination:/subscribe/room/b\n\n\0SUB"s);
  ASSERT_EQ(out.size(), 2u);
  out = feed("SCRIBE\nid:c\ndestination:/subscribe/room/c\n\n\0"s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(cmd(out).room_id, "c");
}

TEST_F(stomp_fixture, end_reasons_become_error_frames) {
  connect();
  EXPECT_NE(proto->encode_end(end_reason::token_expired)->find("GLOBAL_104"),
            std::string::npos);
  EXPECT_NE(proto->encode_end(end_reason::going_away)->rfind("ERROR\n", 0),
            std::string::npos);
  EXPECT_FALSE(proto->encode_end(end_reason::slow_consumer));
  EXPECT_EQ(*proto->encode_heartbeat(), "\n");
  auto kicked = proto->encode_end(end_reason::kicked);
  ASSERT_TRUE(kicked);
  EXPECT_EQ(kicked->rfind("ERROR\n", 0), 0u);
  EXPECT_NE(kicked->find("kicked by an operator"), std::string::npos);
}

TEST_F(stomp_fixture, trusted_mode_sender_comes_from_body_login_or_sender_id) {
  auto out = feed("CONNECT\naccept-version:1.2\nlogin:carol\n\n\0"s);
  std::vector<decoded> held;
  proto->accept_connect(session_identity{}, held);
  out = feed("SUBSCRIBE\nid:s\ndestination:/subscribe/room/r\n\n\0"s);
  EXPECT_EQ(cmd(out).sender, "carol");
  out = feed("SEND\ndestination:/publish/message\n\n"
             R"({"type":"TALK","roomId":"r","senderId":5,"message":"m"})"
             "\0"s);
  EXPECT_EQ(cmd(out).sender, "carol");
  stomp_protocol anon{settings};
  out.clear();
  anon.decode_all("CONNECT\naccept-version:1.2\n\n\0"s, out);
  anon.accept_connect(session_identity{}, held);
  out.clear();
  anon.decode_all("SEND\ndestination:/publish/message\n\n"
                  R"({"type":"TALK","roomId":"r","senderId":5,"message":"m"})"
                  "\0"s,
                  out);
  EXPECT_EQ(cmd(out).sender, "member-5");
}
