// The pure SSE protocol: the request that opens a stream, the text of each
// event (id/event/data of the §2.1 broadcast, encoded once per event), and
// a stream that ends when its room refuses or drops it.
#include "net/protocol/sse/sse_protocol.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/protocol/raw_json/raw_json_protocol.hpp"

using namespace h2h;
using namespace h2h::net;

namespace {

room_event sample(std::uint64_t seq, event_kind kind = event_kind::message) {
  room_event ev;
  ev.room_id = "r1";
  ev.seq = seq;
  ev.kind = kind;
  ev.sender = "alice";
  ev.sender_id = 7;
  ev.text = "line one\nline two\r\n: not a comment";
  ev.ts_ms = 1764625200123;
  ev.client_msg_id = "c-17";
  return ev;
}

std::variant<sse_open, frame_error> parse(std::string_view room,
                                          std::string_view header,
                                          const std::string* query = nullptr,
                                          const std::string* sender = nullptr) {
  sse_request_parts p;
  p.room_id = room;
  p.last_event_id = header;
  p.query_last_event_id = query;
  p.query_sender = sender;
  return parse_sse_open(p, codec_limits{});
}

} // namespace

TEST(sse_codec, an_event_is_id_event_and_the_raw_json_broadcast_on_one_line) {
  auto ev = sample(42);
  auto text = encode_sse_event(ev);
  EXPECT_EQ(text, "id: 42\nevent: MESSAGE\ndata: " + encode_event(ev) + "\n\n");
  // Line breaks in the text stay escaped inside the JSON: one data line.
  auto data = text.substr(text.find("data: ") + 6);
  EXPECT_EQ(data.find('\n'), data.size() - 2);
  EXPECT_EQ(data.find('\r'), std::string::npos);
  auto json = nlohmann::json::parse(data);
  EXPECT_EQ(json["seq"], 42);
  EXPECT_EQ(json["message"], ev.text);
  EXPECT_EQ(json["senderId"], 7);
}

TEST(sse_codec, enter_and_exit_notices_name_their_type) {
  EXPECT_EQ(encode_sse_event(sample(1, event_kind::enter))
              .rfind("id: 1\nevent: ENTER\n", 0),
            0u);
  EXPECT_EQ(encode_sse_event(sample(2, event_kind::exit))
              .rfind("id: 2\nevent: EXIT\n", 0),
            0u);
}

TEST(sse_codec, the_head_opens_an_uncached_unbuffered_event_stream) {
  const auto& head = sse_head();
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(head.find("\r\nContent-Type: text/event-stream\r\n"),
            std::string::npos);
  EXPECT_NE(head.find("\r\nCache-Control: no-cache\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nX-Accel-Buffering: no\r\n"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
}

TEST(sse_codec, keep_alive_is_a_comment) {
  EXPECT_EQ(sse_keepalive(), ": keep-alive\n\n");
}

TEST(sse_codec, an_error_is_an_error_event_with_the_raw_json_error) {
  auto text = encode_sse_error(errc::not_member, "no");
  EXPECT_EQ(text, "event: error\ndata: "
                    + encode_error(errc::not_member, "no", {}) + "\n\n");
}

TEST(sse_open_request, reads_room_and_resume_point) {
  auto r = parse("r1", "41");
  ASSERT_TRUE(std::holds_alternative<sse_open>(r));
  EXPECT_EQ(std::get<sse_open>(r).room_id, "r1");
  EXPECT_EQ(std::get<sse_open>(r).last_seq, 41);
}

TEST(sse_open_request, without_a_resume_point_it_is_live_only) {
  auto r = parse("r1", "");
  ASSERT_TRUE(std::holds_alternative<sse_open>(r));
  EXPECT_EQ(std::get<sse_open>(r).last_seq, -1);
}

TEST(sse_open_request, the_header_wins_over_the_query) {
  std::string q = "5";
  auto r = parse("r1", "9", &q);
  EXPECT_EQ(std::get<sse_open>(r).last_seq, 9);
  auto only_query = parse("r1", "", &q);
  EXPECT_EQ(std::get<sse_open>(only_query).last_seq, 5);
}

TEST(sse_open_request, refuses_bad_rooms_seqs_and_senders) {
  for (auto bad : {"", "a b", "x/y", "%41"}) {
    auto r = parse(bad, "");
    ASSERT_TRUE(std::holds_alternative<frame_error>(r)) << bad;
    EXPECT_EQ(std::get<frame_error>(r).code, errc::invalid_field);
  }
  for (auto bad : {"-1", "1.5", "abc", "99999999999999999999", " 1", "0x10"}) {
    auto r = parse("r1", bad);
    ASSERT_TRUE(std::holds_alternative<frame_error>(r)) << bad;
  }
  std::string empty_sender;
  EXPECT_TRUE(std::holds_alternative<frame_error>(
    parse("r1", "", nullptr, &empty_sender)));
  std::string long_sender(65, 'a');
  EXPECT_TRUE(std::holds_alternative<frame_error>(
    parse("r1", "", nullptr, &long_sender)));
  std::string ok_sender = "bob";
  EXPECT_EQ(std::get<sse_open>(parse("r1", "", nullptr, &ok_sender)).sender,
            "bob");
}

TEST(sse_protocol, the_opening_becomes_one_enter_with_the_resume_point) {
  sse_protocol p{sse_open{"r1", 41, "bob"}};
  auto first = p.decode("");
  ASSERT_TRUE(std::holds_alternative<client_command>(first));
  const auto& cmd = std::get<client_command>(first);
  EXPECT_EQ(cmd.kind, command_kind::enter);
  EXPECT_EQ(cmd.room_id, "r1");
  EXPECT_EQ(cmd.last_seq, 41);
  EXPECT_EQ(cmd.sender, "bob");
  // A stream reads nothing else: anything more is a violation.
  auto second = p.decode("{}");
  ASSERT_TRUE(std::holds_alternative<protocol_error>(second));
  EXPECT_TRUE(std::get<protocol_error>(second).fatal);
}

TEST(sse_protocol, events_are_encoded_once_and_shared_apart_from_raw_json) {
  sse_protocol a{sse_open{"r1", -1, {}}};
  sse_protocol b{sse_open{"r1", -1, {}}};
  codec_limits limits;
  raw_json_protocol raw{limits};
  auto ev = make_event(sample(3));
  auto x = a.encode_event(ev).body;
  auto y = b.encode_event(ev).body;
  EXPECT_EQ(x.get(), y.get());
  EXPECT_EQ(*x, encode_sse_event(ev->data()));
  EXPECT_EQ(raw.encode_event(ev).joined(), encode_event(ev->data()));
}

TEST(sse_protocol, the_enter_ack_sends_nothing_and_the_stream_goes_on) {
  sse_protocol p{sse_open{"r1", -1, {}}};
  EXPECT_EQ(p.encode_ack(reply_to{command_kind::enter, "r1", {}, {}}, 0),
            nullptr);
  EXPECT_FALSE(p.ended());
}

TEST(sse_protocol, a_refused_enter_ends_the_stream_after_an_error_event) {
  sse_protocol p{sse_open{"r1", -1, {}}};
  auto bytes = p.encode_refusal(reply_to{command_kind::enter, "r1", {}, {}},
                                errc::unavailable, "retry");
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(bytes->rfind("event: error\ndata: ", 0), 0u);
  EXPECT_TRUE(p.ended());
}

TEST(sse_protocol, being_dropped_by_the_room_ends_the_stream) {
  sse_protocol p{sse_open{"r1", -1, {}}};
  auto bytes = p.encode_notice(errc::no_such_room, "room r1 was deleted");
  ASSERT_NE(bytes, nullptr);
  EXPECT_NE(bytes->find("CHAT_001"), std::string::npos);
  EXPECT_TRUE(p.ended());
}

TEST(sse_protocol, the_end_says_why_when_the_client_can_act_on_it) {
  sse_protocol p{sse_open{"r1", -1, {}}};
  auto expired = p.encode_end(end_reason::token_expired);
  ASSERT_NE(expired, nullptr);
  EXPECT_NE(expired->find("GLOBAL_104"), std::string::npos);
  auto ended = p.encode_end(end_reason::session_ended);
  ASSERT_NE(ended, nullptr);
  EXPECT_NE(ended->find("GLOBAL_103"), std::string::npos);
  auto going = p.encode_end(end_reason::going_away);
  ASSERT_NE(going, nullptr);
  EXPECT_EQ(going->front(), ':'); // a comment: EventSource reconnects
  EXPECT_EQ(p.encode_end(end_reason::slow_consumer), nullptr);
  auto kicked = p.encode_end(end_reason::kicked);
  ASSERT_NE(kicked, nullptr);
  EXPECT_NE(kicked->find("GLOBAL_105"), std::string::npos);
}
