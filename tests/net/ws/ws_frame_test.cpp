// Unit tests of the RFC 6455 server-side frame parser and frame encoders.
#include "net/ws/ws_frame.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/protocol/utf8.hpp"

namespace ws = h2h::net::ws;
using ws::opcode;

namespace {

constexpr std::size_t big_limit = 1 << 20;

std::string client(opcode op, std::string_view payload, bool fin = true,
                   std::uint32_t mask_key = 0x37fa213d) {
  return ws::encode_client_frame(op, payload, mask_key, fin);
}

/// A masked frame whose first byte (FIN, RSV, opcode) is given verbatim.
std::string client_raw(std::uint8_t first_byte, std::string_view payload) {
  auto frame = client(opcode::text, payload);
  frame[0] = static_cast<char>(first_byte);
  return frame;
}

struct parsed {
  std::vector<ws::message> messages;
  std::optional<ws::violation> error;
};

parsed parse(std::string_view bytes, std::size_t limit = big_limit) {
  ws::parser p{limit};
  parsed r;
  r.error = p.feed(bytes, r.messages);
  return r;
}

/// The close code of the violation `bytes` cause, or 0 when they parse.
std::uint16_t violation_code(std::string_view bytes,
                             std::size_t limit = big_limit) {
  auto r = parse(bytes, limit);
  return r.error ? r.error->close_code : 0;
}

} // namespace

// -- well-formed frames -------------------------------------------------------

TEST(ws_parser, text_frame_yields_its_payload) {
  auto r = parse(client(opcode::text, "hello"));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].op, opcode::text);
  EXPECT_EQ(r.messages[0].payload, "hello");
}

TEST(ws_parser, empty_text_frame_is_an_empty_message) {
  auto r = parse(client(opcode::text, ""));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].payload, "");
}

TEST(ws_parser, binary_frame_keeps_every_byte_value) {
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes += static_cast<char>(i);
  auto r = parse(client(opcode::binary, bytes));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].op, opcode::binary);
  EXPECT_EQ(r.messages[0].payload, bytes);
}

TEST(ws_parser, unmasking_works_for_any_mask_key) {
  for (std::uint32_t key : {0u, 0xffffffffu, 0x01020304u, 0x80000001u}) {
    auto r = parse(client(opcode::text, "the quick brown fox", true, key));
    ASSERT_FALSE(r.error) << key;
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].payload, "the quick brown fox") << key;
  }
}

TEST(ws_parser, ping_and_pong_carry_their_payloads) {
  auto r = parse(client(opcode::ping, "are you there")
                 + client(opcode::pong, "yes"));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].op, opcode::ping);
  EXPECT_EQ(r.messages[0].payload, "are you there");
  EXPECT_EQ(r.messages[1].op, opcode::pong);
  EXPECT_EQ(r.messages[1].payload, "yes");
}

TEST(ws_parser, close_with_code_and_reason) {
  auto r = parse(client(opcode::close, ws::close_payload(1001, "going away")));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].op, opcode::close);
  EXPECT_EQ(r.messages[0].close_code, 1001);
  EXPECT_EQ(r.messages[0].close_reason, "going away");
}

TEST(ws_parser, close_with_code_only_has_empty_reason) {
  auto r = parse(client(opcode::close, ws::close_payload(4000, "")));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].close_code, 4000);
  EXPECT_EQ(r.messages[0].close_reason, "");
}

TEST(ws_parser, close_without_payload_reports_1005) {
  auto r = parse(client(opcode::close, ""));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].close_code, 1005);
}

TEST(ws_parser, every_peer_sendable_close_code_is_accepted) {
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                             1011, 3000, 4008, 4999}) {
    auto r = parse(client(opcode::close, ws::close_payload(code, "x")));
    ASSERT_FALSE(r.error) << code;
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].close_code, code);
  }
}

TEST(ws_parser, fragments_reassemble_around_an_interleaved_ping) {
  auto bytes = client(opcode::text, "Hel", false) + client(opcode::ping, "p")
               + client(opcode::continuation, "lo, ", false)
               + client(opcode::continuation, "world");
  auto r = parse(bytes);
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].op, opcode::ping); // control frames are not delayed
  EXPECT_EQ(r.messages[0].payload, "p");
  EXPECT_EQ(r.messages[1].op, opcode::text);
  EXPECT_EQ(r.messages[1].payload, "Hello, world");
}

TEST(ws_parser, fragmented_binary_keeps_binary_opcode) {
  auto r = parse(client(opcode::binary, "\xff", false)
                 + client(opcode::continuation, "", false)
                 + client(opcode::continuation, "\xfe"));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].op, opcode::binary);
  EXPECT_EQ(r.messages[0].payload, "\xff\xfe");
}

TEST(ws_parser, payload_lengths_with_16_and_64_bit_fields) {
  for (std::size_t n : {125u, 126u, 1000u, 65535u, 65536u, 70000u}) {
    std::string payload(n, 'a');
    payload[n - 1] = 'z';
    auto frame = client(opcode::binary, payload);
    auto len7 = static_cast<std::uint8_t>(frame[1]) & 0x7F;
    EXPECT_EQ(len7, n < 126 ? n : n <= 65535 ? 126u : 127u) << n;
    auto r = parse(frame);
    ASSERT_FALSE(r.error) << n;
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].payload, payload) << n;
  }
}

TEST(ws_parser, message_exactly_at_the_limit_is_accepted) {
  auto r = parse(client(opcode::text, std::string(100, 'x')), 100);
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 1u);
}

// -- protocol violations ------------------------------------------------------

TEST(ws_parser_violation, unmasked_frame_is_1002_after_two_bytes) {
  EXPECT_EQ(violation_code(ws::encode_frame(opcode::text, "hi")), 1002);
  EXPECT_EQ(violation_code(ws::encode_frame(opcode::text, "hi").substr(0, 2)),
            1002);
}

TEST(ws_parser_violation, reserved_bits_are_1002) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70})
    EXPECT_EQ(violation_code(client_raw(0x81 | rsv, "x")), 1002) << int(rsv);
}

TEST(ws_parser_violation, unknown_opcodes_are_1002) {
  for (std::uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
    EXPECT_EQ(violation_code(client_raw(0x80 | op, "")), 1002) << int(op);
}

TEST(ws_parser_violation, fragmented_control_frames_are_1002) {
  EXPECT_EQ(violation_code(client(opcode::ping, "p", false)), 1002);
  EXPECT_EQ(violation_code(client(opcode::pong, "p", false)), 1002);
  EXPECT_EQ(violation_code(client(opcode::close, "", false)), 1002);
}

TEST(ws_parser_violation, control_payload_over_125_is_1002) {
  EXPECT_EQ(violation_code(client(opcode::ping, std::string(125, 'p'))), 0);
  EXPECT_EQ(violation_code(client(opcode::ping, std::string(126, 'p'))), 1002);
  EXPECT_EQ(violation_code(client(opcode::pong, std::string(126, 'p'))), 1002);
  EXPECT_EQ(violation_code(client(opcode::close, std::string(200, 'c'))), 1002);
}

TEST(ws_parser_violation, continuation_without_a_message_is_1002) {
  EXPECT_EQ(violation_code(client(opcode::continuation, "x")), 1002);
  // Also right after a finished fragmented message.
  EXPECT_EQ(violation_code(client(opcode::text, "a", false)
                           + client(opcode::continuation, "b")
                           + client(opcode::continuation, "c")),
            1002);
}

TEST(ws_parser_violation, new_data_frame_inside_fragmented_message_is_1002) {
  EXPECT_EQ(violation_code(client(opcode::text, "a", false)
                           + client(opcode::text, "b")),
            1002);
  EXPECT_EQ(violation_code(client(opcode::text, "a", false)
                           + client(opcode::binary, "b")),
            1002);
}

TEST(ws_parser_violation, message_over_the_limit_is_1009) {
  EXPECT_EQ(violation_code(client(opcode::text, std::string(101, 'x')), 100),
            1009);
}

TEST(ws_parser_violation, fragments_summing_over_the_limit_are_1009) {
  EXPECT_EQ(
    violation_code(client(opcode::text, std::string(60, 'x'), false)
                     + client(opcode::continuation, std::string(41, 'y')),
                   100),
    1009);
}

TEST(ws_parser_violation, too_big_is_reported_from_the_header_alone) {
  // 16-bit and 64-bit lengths; only header + mask are fed, no payload.
  for (std::size_t n : {1000u, 70000u}) {
    auto frame = client(opcode::binary, std::string(n, 'x'));
    auto header = frame.substr(0, frame.size() - n);
    EXPECT_EQ(violation_code(header, 100), 1009) << n;
  }
  // A continuation header that pushes the sum over the limit.
  auto first = client(opcode::text, std::string(90, 'x'), false);
  auto second = client(opcode::continuation, std::string(20, 'y'));
  EXPECT_EQ(violation_code(first + second.substr(0, second.size() - 20), 100),
            1009);
}

TEST(ws_parser_violation, length_with_top_bit_set_is_1002) {
  std::string header = "\x82\xff\x80";
  header += std::string(7, '\0') + "\x01\x02\x03\x04";
  EXPECT_EQ(violation_code(header), 1002);
}

TEST(ws_parser_violation, invalid_utf8_text_is_1007) {
  for (std::string_view bad : {"\xff", "ab\xc0\xaf", "\xed\xa0\x80", "\xe2\x82",
                               "\xf4\x90\x80\x80", "\x80"})
    EXPECT_EQ(violation_code(client(opcode::text, bad)), 1007);
}

TEST(ws_parser_violation, invalid_utf8_across_fragments_is_1007) {
  EXPECT_EQ(violation_code(client(opcode::text, "a\xe2", false)
                           + client(opcode::continuation, "\x82")),
            1007);
}

TEST(ws_parser, utf8_char_split_between_fragments_is_accepted) {
  // U+20AC (E2 82 AC) and U+1F600 (F0 9F 98 80) cut mid-character.
  auto r = parse(client(opcode::text, "a\xe2", false)
                 + client(opcode::continuation, "\x82", false)
                 + client(opcode::continuation, "\xac\xf0\x9f", false)
                 + client(opcode::continuation, "\x98\x80z"));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].payload, "a\xe2\x82\xac\xf0\x9f\x98\x80z");
}

TEST(ws_parser_violation, one_byte_close_payload_is_1002) {
  EXPECT_EQ(violation_code(client(opcode::close, "\x03")), 1002);
}

TEST(ws_parser_violation, reserved_and_unassigned_close_codes_are_1002) {
  for (std::uint16_t code :
       {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
    EXPECT_EQ(
      violation_code(client(opcode::close, ws::close_payload(code, ""))), 1002)
      << code;
}

TEST(ws_parser_violation, close_reason_not_utf8_is_1007) {
  std::string payload = ws::close_payload(1000, "");
  payload += "\xc3\x28";
  EXPECT_EQ(violation_code(client(opcode::close, payload)), 1007);
}

// -- boundaries and memory ----------------------------------------------------

TEST(ws_parser, at_boundary_only_between_whole_messages) {
  ws::parser p{big_limit};
  std::vector<ws::message> out;
  EXPECT_TRUE(p.at_boundary());
  auto frag = client(opcode::text, "abc", false);
  ASSERT_FALSE(p.feed(frag.substr(0, 1), out));
  EXPECT_FALSE(p.at_boundary()) << "inside a header";
  ASSERT_FALSE(p.feed(frag.substr(1, frag.size() - 2), out));
  EXPECT_FALSE(p.at_boundary()) << "inside a payload";
  ASSERT_FALSE(p.feed(frag.substr(frag.size() - 1), out));
  EXPECT_FALSE(p.at_boundary()) << "between fragments";
  ASSERT_FALSE(p.feed(client(opcode::ping, "p"), out));
  EXPECT_FALSE(p.at_boundary()) << "ping between fragments";
  ASSERT_FALSE(p.feed(client(opcode::continuation, "d"), out));
  EXPECT_TRUE(p.at_boundary());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].payload, "abcd");
}

TEST(ws_parser, release_memory_keeps_partial_messages_intact) {
  ws::parser p{big_limit};
  std::vector<ws::message> out;
  auto first = client(opcode::text, std::string(5000, 'a'), false);
  auto ping = client(opcode::ping, "ping!");
  auto last = client(opcode::continuation, "end");
  ASSERT_FALSE(p.feed(first, out));
  p.release_memory();
  ASSERT_FALSE(p.feed(ping.substr(0, ping.size() - 2), out));
  p.release_memory(); // mid control payload
  ASSERT_FALSE(p.feed(ping.substr(ping.size() - 2), out));
  ASSERT_FALSE(p.feed(last, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].payload, "ping!");
  EXPECT_EQ(out[1].payload, std::string(5000, 'a') + "end");
  p.release_memory(); // idle: the parser still works afterwards
  EXPECT_TRUE(p.at_boundary());
  ASSERT_FALSE(p.feed(client(opcode::text, "again"), out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].payload, "again");
}

// -- encoders -----------------------------------------------------------------

TEST(ws_encode, header_sizes_at_each_length_boundary) {
  struct row {
    std::size_t n;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<row> rows = {
    {0, {0x81, 0}},
    {125, {0x81, 125}},
    {126, {0x81, 126, 0x00, 0x7E}},
    {65535, {0x81, 126, 0xFF, 0xFF}},
    {65536, {0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
  };
  for (auto& r : rows) {
    std::uint8_t out[10];
    auto len = ws::encode_header(opcode::text, r.n, out);
    EXPECT_EQ(std::vector<std::uint8_t>(out, out + len), r.bytes) << r.n;
  }
}

TEST(ws_encode, header_fin_and_opcode_bits) {
  std::uint8_t out[10];
  ws::encode_header(opcode::binary, 3, out, false);
  EXPECT_EQ(out[0], 0x02);
  ws::encode_header(opcode::close, 3, out);
  EXPECT_EQ(out[0], 0x88);
}

TEST(ws_encode, frame_is_header_then_payload) {
  EXPECT_EQ(ws::encode_frame(opcode::pong, "ab"), std::string("\x8a\x02"
                                                              "ab"));
}

TEST(ws_encode, close_payload_is_code_in_network_order_then_reason) {
  EXPECT_EQ(ws::close_payload(1009, "big"), std::string("\x03\xf1"
                                                        "big"));
}

TEST(ws_encode, close_payload_cuts_to_125_bytes_at_utf8_boundary) {
  // For every prefix length, a long reason of 3-byte characters is cut to a
  // valid UTF-8 prefix of the reason that fits a control frame.
  for (std::size_t ascii = 0; ascii < 130; ++ascii) {
    std::string reason(ascii, 'a');
    for (int i = 0; i < 60; ++i)
      reason += "\xe2\x82\xac";
    auto p = ws::close_payload(1000, reason);
    auto cut = p.substr(2);
    ASSERT_LE(p.size(), 125u) << ascii;
    EXPECT_GE(p.size(), 123u) << ascii; // loses at most one character
    EXPECT_TRUE(h2h::net::valid_utf8(cut)) << ascii;
    EXPECT_EQ(reason.compare(0, cut.size(), cut), 0) << ascii;
  }
  EXPECT_EQ(ws::close_payload(1000, std::string(200, 'r')).size(), 125u);
}

TEST(ws_encode, accept_key_matches_rfc6455_example) {
  // RFC 6455 §1.3; also what `openssl sha1 -binary | base64` gives.
  EXPECT_EQ(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
