// RFC 6455 conformance of h2hd's /message endpoint with a raw client,
// organised like the Autobahn test-suite's cases 1-7: framing, pings and
// pongs, reserved bits, opcodes, fragmentation, UTF-8, close handling.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "raw_ws.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// A fresh h2hd per test (trusted mode: frames name their sender).
class ws_conformance : public ::testing::Test {
protected:
  void SetUp() override {
    srv_ = std::make_unique<server_process>(
      H2HD_PATH, trusted_mode(local_args(dir_, {"--log-level", "info"})));
  }

  void TearDown() override {
    // Whatever a client sent, the server must still stop cleanly (its log
    // is shown when not).
    EXPECT_EQ(srv_->stop(), 0);
  }

  std::unique_ptr<raw_ws> connect(raw_ws_options options = {}) {
    return std::make_unique<raw_ws>(srv_->port(), std::move(options));
  }

  temp_dir dir_;
  std::unique_ptr<server_process> srv_;
};

template <class T>
class ws_conformance_p : public ws_conformance,
                         public ::testing::WithParamInterface<T> {};

std::string enter_text(const std::string& room = "r1",
                       const std::string& sender = "alice") {
  return json{{"type", "ENTER"}, {"roomId", room}, {"sender", sender}}.dump();
}

std::string message_text(const std::string& text, const std::string& cmid,
                         const std::string& room = "r1") {
  return json{{"type", "MESSAGE"},
              {"roomId", room},
              {"sender", "alice"},
              {"message", text},
              {"clientMsgId", cmid}}
    .dump();
}

/// The next frame, which must be a text frame holding JSON.
json read_json(raw_ws& c, std::chrono::milliseconds timeout = 5000ms) {
  auto f = c.read_frame(timeout);
  if (!f)
    throw std::runtime_error("no frame (timeout or closed)");
  if (f->opcode != op::text)
    throw std::runtime_error("expected a text frame, got opcode "
                             + std::to_string(f->opcode));
  EXPECT_TRUE(f->fin);
  EXPECT_FALSE(f->masked) << "server frames are never masked";
  return json::parse(f->payload);
}

/// ENTERs r1 as alice and reads the ENTER notice.
void enter(raw_ws& c) {
  ASSERT_TRUE(c.send_frame(op::text, enter_text()));
  auto notice = read_json(c);
  ASSERT_EQ(notice["type"], "ENTER") << notice;
  ASSERT_EQ(notice["sender"], "alice");
}

/// The server fails the connection with `code`: its close frame comes
/// next, and once answered, the server closes TCP.
void expect_failed(raw_ws& c, std::uint16_t code) {
  int skipped = 0;
  auto got = c.read_close(5000ms, &skipped);
  ASSERT_TRUE(got.has_value()) << "no close frame";
  EXPECT_EQ(*got, code);
  EXPECT_EQ(skipped, 0) << "frames before the close";
  c.send_frame(op::close, close_body(*got)); // may fail: TCP may be closed
  EXPECT_TRUE(c.closed_within(3000ms)) << "the server did not close TCP";
}

/// A MESSAGE frame of exactly `n` bytes (padded with an unknown field).
std::string message_of_size(std::size_t n, const std::string& cmid) {
  auto j = json{{"type", "MESSAGE"}, {"roomId", "r1"},      {"sender", "alice"},
                {"message", "hi"},   {"clientMsgId", cmid}, {"pad", ""}};
  auto base = j.dump().size();
  if (n < base)
    throw std::logic_error("size too small");
  j["pad"] = std::string(n - base, 'p');
  auto out = j.dump();
  EXPECT_EQ(out.size(), n);
  return out;
}

/// The MESSAGE broadcast of `cmid` and its ACK arrive.
void expect_broadcast_and_ack(raw_ws& c, const std::string& cmid,
                              const std::string& text = "hi") {
  auto ev = read_json(c);
  EXPECT_EQ(ev["type"], "MESSAGE") << ev;
  EXPECT_EQ(ev["message"], text);
  EXPECT_EQ(ev["clientMsgId"], cmid);
  auto ack = read_json(c);
  EXPECT_EQ(ack["type"], "ACK") << ack;
  EXPECT_EQ(ack["clientMsgId"], cmid);
  EXPECT_EQ(ack["seq"], ev["seq"]);
}

} // namespace

// -- 1 framing
// -----------------------------------------------------------------

TEST_F(ws_conformance, c1_empty_text_message_gets_an_error_frame_only) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::text, ""));
  auto err = read_json(*c);
  EXPECT_EQ(err["type"], "ERROR");
  EXPECT_EQ(err["code"], "GLOBAL_004");
  enter(*c); // the connection stays open
}

class ws_conformance_size : public ws_conformance_p<std::size_t> {};

TEST_P(ws_conformance_size, c1_text_message_of_boundary_length_is_accepted) {
  auto c = connect();
  enter(*c);
  auto n = GetParam();
  ASSERT_TRUE(c->send_frame(op::text, message_of_size(n, "m1")));
  expect_broadcast_and_ack(*c, "m1");
}

// 7-bit, 16-bit and 64-bit lengths, up to limits.max_frame_bytes (65536).
INSTANTIATE_TEST_SUITE_P(lengths, ws_conformance_size,
                         ::testing::Values(125, 126, 127, 65535, 65536));

TEST_F(ws_conformance, c1_text_message_over_the_limit_closes_1009) {
  auto c = connect();
  // The server may stop reading at the header: the send need not complete.
  c->send_frame(op::text, message_of_size(65537, "m1"));
  expect_failed(*c, 1009);
}

TEST_F(ws_conformance, c1_binary_message_closes_1003) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::binary, std::string("\x00\xff\x10", 3)));
  expect_failed(*c, 1003);
}

TEST_F(ws_conformance, c1_unmasked_client_frame_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::text, enter_text(), true, 0, false));
  expect_failed(*c, 1002);
}

TEST_F(ws_conformance, c1_frame_sent_byte_by_byte_is_read) {
  auto c = connect();
  auto frame = make_frame(op::text, enter_text());
  for (char b : frame)
    ASSERT_TRUE(c->send_raw(std::string(1, b)));
  EXPECT_EQ(read_json(*c)["type"], "ENTER");
}

// -- 2 pings and pongs
// ---------------------------------------------------------

TEST_F(ws_conformance, c2_ping_without_payload_gets_an_empty_pong) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::ping, ""));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::pong);
  EXPECT_TRUE(f->fin);
  EXPECT_EQ(f->payload, "");
}

TEST_F(ws_conformance, c2_ping_with_payload_gets_a_pong_with_that_payload) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::ping, "Hello, world!"));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::pong);
  EXPECT_EQ(f->payload, "Hello, world!");
}

TEST_F(ws_conformance, c2_ping_of_125_binary_bytes_is_answered) {
  auto c = connect();
  std::string payload;
  for (int i = 0; i < 125; ++i)
    payload += static_cast<char>(255 - i);
  ASSERT_TRUE(c->send_frame(op::ping, payload));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::pong);
  EXPECT_EQ(f->payload, payload);
}

TEST_F(ws_conformance, c2_ping_of_125_bytes_sent_byte_by_byte_is_answered) {
  auto c = connect();
  auto frame = make_frame(op::ping, std::string(125, 'x'));
  for (char b : frame)
    ASSERT_TRUE(c->send_raw(std::string(1, b)));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::pong);
  EXPECT_EQ(f->payload, std::string(125, 'x'));
}

TEST_F(ws_conformance, c2_ping_of_126_bytes_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::ping, std::string(126, 'x')));
  expect_failed(*c, 1002);
}

TEST_F(ws_conformance, c2_fragmented_ping_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::ping, "frag", false));
  expect_failed(*c, 1002);
}

TEST_F(ws_conformance, c2_unsolicited_pong_is_ignored) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::pong, "unasked"));
  ASSERT_TRUE(c->send_frame(op::ping, "asked"));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::pong);
  EXPECT_EQ(f->payload, "asked");
  enter(*c);
}

TEST_F(ws_conformance, c2_pings_one_after_the_other_are_each_answered) {
  auto c = connect();
  for (int i = 0; i < 10; ++i) {
    auto payload = "ping " + std::to_string(i);
    ASSERT_TRUE(c->send_frame(op::ping, payload));
    auto f = c->read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, op::pong);
    EXPECT_EQ(f->payload, payload);
  }
}

TEST_F(ws_conformance, c2_a_burst_of_pings_is_answered_up_to_the_last_one) {
  // RFC 6455 §5.5.3: an endpoint may answer only the most recent of pings it
  // has not answered yet. The answers come in order and the last ping is
  // always answered.
  auto c = connect();
  std::string burst;
  for (int i = 0; i < 10; ++i)
    burst += make_frame(op::ping, "p" + std::to_string(i));
  ASSERT_TRUE(c->send_raw(burst));
  int last = -1;
  while (last < 9) {
    auto f = c->read_frame();
    ASSERT_TRUE(f) << "no pong for p9 (last answered: " << last << ")";
    ASSERT_EQ(f->opcode, op::pong);
    ASSERT_EQ(f->payload.at(0), 'p');
    auto i = std::stoi(f->payload.substr(1));
    EXPECT_GT(i, last) << "pongs out of order";
    last = i;
  }
  ASSERT_TRUE(c->send_frame(op::ping, "after"));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "after");
}

// -- 3 reserved bits
// ------------------------------------------------------------

struct rsv_case {
  std::uint8_t rsv;
  std::uint8_t opcode;
};

// Short, stable test names in ctest (not the object's bytes).
void PrintTo(const rsv_case& c, std::ostream* os) {
  *os << "rsv " << int{c.rsv} << ", opcode " << int{c.opcode};
}

class ws_conformance_rsv : public ws_conformance_p<rsv_case> {};

TEST_P(ws_conformance_rsv, c3_reserved_bits_close_1002) {
  auto c = connect();
  auto payload
    = GetParam().opcode == op::close ? close_body(1000) : std::string{"x"};
  ASSERT_TRUE(c->send_frame(GetParam().opcode, payload, true, GetParam().rsv));
  expect_failed(*c, 1002);
}

// Autobahn 3.1-3.7: RSV1..RSV3 in every combination, on each frame kind.
INSTANTIATE_TEST_SUITE_P(
  bits, ws_conformance_rsv,
  ::testing::Values(rsv_case{1, op::text}, rsv_case{2, op::text},
                    rsv_case{3, op::ping}, rsv_case{4, op::binary},
                    rsv_case{5, op::ping}, rsv_case{6, op::close},
                    rsv_case{7, op::close}, rsv_case{4, op::text}),
  [](const auto& info) {
    return "rsv" + std::to_string(info.param.rsv) + "_opcode"
           + std::to_string(info.param.opcode);
  });

TEST_F(ws_conformance, c3_reserved_bits_after_a_valid_frame_close_1002) {
  auto c = connect();
  // The answer to the valid frame must be synchronous to come first: an
  // ERROR for a frame that is not a command.
  ASSERT_TRUE(c->send_raw(make_frame(op::text, "{}")
                          + make_frame(op::text, "x", true, 2)
                          + make_frame(op::ping, "never answered")));
  EXPECT_EQ(read_json(*c)["code"], "CHAT_004"); // the valid frame is answered
  expect_failed(*c, 1002);
}

// -- 4 opcodes
// ------------------------------------------------------------------

class ws_conformance_opcode : public ws_conformance_p<int> {};

TEST_P(ws_conformance_opcode, c4_reserved_opcode_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(static_cast<std::uint8_t>(GetParam()), "reserved"));
  expect_failed(*c, 1002);
}

TEST_P(ws_conformance_opcode,
       c4_reserved_opcode_after_a_valid_frame_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(
    c->send_raw(make_frame(op::ping, "first")
                + make_frame(static_cast<std::uint8_t>(GetParam()), "")));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::pong);
  expect_failed(*c, 1002);
}

// Reserved data opcodes 3-7 and reserved control opcodes 0xB-0xF.
INSTANTIATE_TEST_SUITE_P(reserved, ws_conformance_opcode,
                         ::testing::Values(3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE,
                                           0xF));

// -- 5 fragmentation
// --------------------------------------------------------------

TEST_F(ws_conformance, c5_text_in_fragments_is_reassembled) {
  auto c = connect();
  auto text = enter_text();
  ASSERT_TRUE(c->send_frame(op::text, text.substr(0, 5), false));
  ASSERT_TRUE(c->send_frame(op::continuation, text.substr(5, 10), false));
  ASSERT_TRUE(c->send_frame(op::continuation, text.substr(15)));
  EXPECT_EQ(read_json(*c)["type"], "ENTER");
}

TEST_F(ws_conformance, c5_empty_fragments_are_accepted) {
  auto c = connect();
  ASSERT_TRUE(c->send_raw(make_frame(op::text, "", false)
                          + make_frame(op::continuation, enter_text(), false)
                          + make_frame(op::continuation, "")));
  EXPECT_EQ(read_json(*c)["type"], "ENTER");
}

TEST_F(ws_conformance, c5_text_in_one_byte_fragments_is_reassembled) {
  auto c = connect();
  auto text = enter_text();
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); ++i)
    bytes += make_frame(i == 0 ? op::text : op::continuation, text.substr(i, 1),
                        i + 1 == text.size());
  ASSERT_TRUE(c->send_raw(bytes));
  EXPECT_EQ(read_json(*c)["type"], "ENTER");
}

TEST_F(ws_conformance, c5_ping_between_fragments_is_answered_first) {
  auto c = connect();
  auto text = enter_text();
  ASSERT_TRUE(c->send_frame(op::text, text.substr(0, 7), false));
  ASSERT_TRUE(c->send_frame(op::ping, "in between"));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::pong);
  EXPECT_EQ(f->payload, "in between");
  ASSERT_TRUE(c->send_frame(op::continuation, text.substr(7)));
  EXPECT_EQ(read_json(*c)["type"], "ENTER");
}

TEST_F(ws_conformance, c5_continuation_without_a_message_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::continuation, enter_text()));
  expect_failed(*c, 1002);
}

TEST_F(ws_conformance,
       c5_unfinished_continuation_without_a_message_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::continuation, "x", false));
  expect_failed(*c, 1002);
}

TEST_F(ws_conformance, c5_continuation_after_a_finished_message_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_raw(make_frame(op::text, "{}")
                          + make_frame(op::continuation, "more")));
  EXPECT_EQ(read_json(*c)["code"], "CHAT_004");
  expect_failed(*c, 1002);
}

TEST_F(ws_conformance,
       c5_new_data_frame_inside_a_fragmented_message_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_raw(make_frame(op::text, "{\"type\":", false)
                          + make_frame(op::text, enter_text())));
  expect_failed(*c, 1002);
}

class ws_conformance_control : public ws_conformance_p<int> {};

TEST_P(ws_conformance_control, c5_control_frame_with_fin_0_closes_1002) {
  auto c = connect();
  auto opcode = static_cast<std::uint8_t>(GetParam());
  auto payload = opcode == op::close ? close_body(1000) : std::string{"x"};
  ASSERT_TRUE(c->send_frame(opcode, payload, false));
  expect_failed(*c, 1002);
}

INSTANTIATE_TEST_SUITE_P(control, ws_conformance_control,
                         ::testing::Values(op::ping, op::pong, op::close));

// -- 6 UTF-8
// ----------------------------------------------------------------------

struct utf8_case {
  const char* name;
  std::string bytes;
};

void PrintTo(const utf8_case& c, std::ostream* os) {
  *os << c.name;
}

class ws_conformance_utf8 : public ws_conformance_p<utf8_case> {};

/// A MESSAGE whose text contains `bad`.
std::string message_with(const std::string& bad) {
  return "{\"type\":\"MESSAGE\",\"roomId\":\"r1\",\"sender\":\"alice\","
         "\"message\":\"a"
         + bad + "b\",\"clientMsgId\":\"u1\"}";
}

TEST_P(ws_conformance_utf8, c6_invalid_utf8_text_closes_1007) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::text, message_with(GetParam().bytes)));
  expect_failed(*c, 1007);
}

TEST_P(ws_conformance_utf8, c6_invalid_utf8_in_one_byte_fragments_closes_1007) {
  auto c = connect();
  auto text = message_with(GetParam().bytes);
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); ++i)
    bytes += make_frame(i == 0 ? op::text : op::continuation, text.substr(i, 1),
                        i + 1 == text.size());
  ASSERT_TRUE(c->send_raw(bytes));
  expect_failed(*c, 1007);
}

INSTANTIATE_TEST_SUITE_P(
  sequences, ws_conformance_utf8,
  ::testing::Values(utf8_case{"lone_continuation", "\x80"},
                    utf8_case{"invalid_byte_ff", "\xff"},
                    utf8_case{"overlong_slash", "\xc0\xaf"},
                    utf8_case{"overlong_3_bytes", "\xe0\x80\xaf"},
                    utf8_case{"surrogate", "\xed\xa0\x80"},
                    utf8_case{"above_10ffff", "\xf4\x90\x80\x80"},
                    utf8_case{"truncated_sequence", "\xe2\x82"},
                    utf8_case{"autobahn_6_3_1",
                              "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
                              "\xed\xa0\x80\x65\x64\x69\x74\x65\x64"}),
  [](const auto& info) { return std::string{info.param.name}; });

TEST_F(ws_conformance, c6_invalid_byte_in_a_later_fragment_closes_1007) {
  auto c = connect();
  auto text = message_with("\xff");
  auto at = text.find('\xff');
  ASSERT_TRUE(c->send_raw(make_frame(op::text, text.substr(0, at), false)
                          + make_frame(op::continuation, text.substr(at), false)
                          + make_frame(op::continuation, "")));
  expect_failed(*c, 1007);
}

TEST_F(ws_conformance, c6_invalid_utf8_fails_before_the_message_ends) {
  // Fail fast (Autobahn 6.4): the invalid fragment is enough, the rest of
  // the message never comes.
  auto c = connect();
  ASSERT_TRUE(
    c->send_raw(make_frame(op::text, "{\"message\":\"", false)
                + make_frame(op::continuation, "\xf4\x90\x80\x80", false)));
  expect_failed(*c, 1007);
}

TEST_F(ws_conformance, c6_invalid_utf8_in_a_frame_fails_before_the_frame_ends) {
  auto c = connect();
  auto frame = make_frame(op::text, "\xce\xba\xff" + std::string(100, 'x'));
  ASSERT_TRUE(c->send_raw(frame.substr(0, 6 + 3)));
  expect_failed(*c, 1007);
}

TEST_F(ws_conformance, c6_multibyte_text_split_mid_code_point_is_accepted) {
  auto c = connect();
  enter(*c);
  const std::string text = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 "
                           "\xe2\x82\xac \xf0\x9f\x98\x80";
  auto frame = message_text(text, "u2");
  std::string bytes;
  for (std::size_t i = 0; i < frame.size(); ++i)
    bytes += make_frame(i == 0 ? op::text : op::continuation,
                        frame.substr(i, 1), i + 1 == frame.size());
  ASSERT_TRUE(c->send_raw(bytes));
  expect_broadcast_and_ack(*c, "u2", text);
}

TEST_F(ws_conformance, c6_multibyte_text_split_over_tcp_writes_is_accepted) {
  auto c = connect();
  enter(*c);
  const std::string text = "\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9";
  auto frame = make_frame(op::text, message_text(text, "u3"));
  for (std::size_t i = 0; i < frame.size(); i += 3)
    ASSERT_TRUE(c->send_raw(frame.substr(i, 3)));
  expect_broadcast_and_ack(*c, "u3", text);
}

// -- 7 close handling
// -------------------------------------------------------------

TEST_F(ws_conformance, c7_close_without_payload_is_answered_with_1000) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::close, ""));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::close);
  EXPECT_EQ(f->close_code(), 1000);
  EXPECT_TRUE(c->closed_within(3000ms));
}

class ws_conformance_valid_code : public ws_conformance_p<int> {};

TEST_P(ws_conformance_valid_code, c7_close_with_a_valid_code_is_echoed) {
  auto c = connect();
  auto code = static_cast<std::uint16_t>(GetParam());
  ASSERT_TRUE(c->send_frame(op::close, close_body(code, "bye")));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::close);
  EXPECT_EQ(f->close_code(), code);
  EXPECT_TRUE(c->closed_within(3000ms));
}

INSTANTIATE_TEST_SUITE_P(codes, ws_conformance_valid_code,
                         ::testing::Values(1000, 1001, 1002, 1003, 1007, 1008,
                                           1009, 1010, 1011, 3000, 3999, 4000,
                                           4999));

class ws_conformance_invalid_code : public ws_conformance_p<int> {};

TEST_P(ws_conformance_invalid_code, c7_close_with_an_invalid_code_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(
    op::close, close_body(static_cast<std::uint16_t>(GetParam()))));
  expect_failed(*c, 1002);
}

INSTANTIATE_TEST_SUITE_P(codes, ws_conformance_invalid_code,
                         ::testing::Values(0, 999, 1004, 1005, 1006, 1015, 1016,
                                           1100, 2000, 2999, 5000, 65535));

TEST_F(ws_conformance, c7_close_with_a_one_byte_payload_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::close, "\x03"));
  expect_failed(*c, 1002);
}

TEST_F(ws_conformance, c7_close_with_a_125_byte_payload_is_echoed) {
  auto c = connect();
  ASSERT_TRUE(
    c->send_frame(op::close, close_body(1000, std::string(123, 'r'))));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::close);
  EXPECT_EQ(f->close_code(), 1000);
  EXPECT_TRUE(c->closed_within(3000ms));
}

TEST_F(ws_conformance, c7_close_with_a_126_byte_payload_closes_1002) {
  auto c = connect();
  ASSERT_TRUE(
    c->send_frame(op::close, close_body(1000, std::string(124, 'r'))));
  expect_failed(*c, 1002);
}

TEST_F(ws_conformance, c7_close_with_an_invalid_utf8_reason_closes_1007) {
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::close, close_body(1000, "ok\xce\xba\xff")));
  expect_failed(*c, 1007);
}

TEST_F(ws_conformance, c7_frames_after_a_close_are_ignored) {
  auto watcher = connect();
  ASSERT_TRUE(watcher->send_frame(op::text, enter_text("r1", "watcher")));
  ASSERT_EQ(read_json(*watcher)["type"], "ENTER");
  auto c = connect();
  ASSERT_TRUE(c->send_raw(make_frame(op::close, close_body(1000))
                          + make_frame(op::text, enter_text())
                          + make_frame(op::ping, "late")));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::close);
  EXPECT_EQ(f->close_code(), 1000);
  EXPECT_FALSE(c->read_frame(500ms)) << "a frame after the close";
  EXPECT_TRUE(c->closed_within(3000ms));
  // The ENTER behind the close was not handled: no notice reached r1.
  auto f2 = watcher->read_frame(500ms);
  EXPECT_FALSE(f2) << f2->payload;
}

TEST_F(ws_conformance, c7_server_closes_tcp_once_the_handshake_is_done) {
  // The server's own close (1003 here) is answered: TCP ends at once, not
  // after the close timeout.
  auto c = connect();
  ASSERT_TRUE(c->send_frame(op::binary, "b"));
  auto code = c->read_close();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1003);
  ASSERT_TRUE(c->send_frame(op::close, close_body(1000)));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c->closed_within(3000ms));
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - t0);
  EXPECT_LT(waited.count(), 1000) << "ms from the close frame to the end";
}

TEST_F(ws_conformance, c7_client_close_ends_tcp_right_after_the_answer) {
  auto c = connect();
  enter(*c);
  ASSERT_TRUE(c->send_frame(op::close, close_body(1001)));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, op::close);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c->closed_within(3000ms));
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - t0);
  EXPECT_LT(waited.count(), 1000) << "ms from the close frame to the end";
}
