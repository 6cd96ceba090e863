// The frame parser after a violation and with bad UTF-8 (it fails fast and
// stays failed), and close payloads that are always valid UTF-8.
#include "net/ws/ws_frame.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/protocol/utf8.hpp"

namespace ws = h2h::net::ws;
using ws::opcode;

namespace {

std::string client(opcode op, std::string_view payload, bool fin = true) {
  return ws::encode_client_frame(op, payload, 0x1badf00d, fin);
}

/// A frame the way a broken client sends it: no mask.
std::string unmasked(opcode op, std::string_view payload) {
  return ws::encode_frame(op, payload);
}

const std::string mixed = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z\xce\xba"
                          "\xe1\xbd\xb9";

} // namespace

TEST(ws_parser_failed, stays_failed_and_parses_nothing_more) {
  ws::parser p{1 << 20};
  std::vector<ws::message> out;
  auto v = p.feed(unmasked(opcode::text, "hello"), out);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->close_code, 1002);
  // Whatever comes next (here: valid frames) is not parsed.
  auto again = p.feed(client(opcode::text, "after") + client(opcode::ping, "p")
                        + client(opcode::close, ""),
                      out);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->close_code, 1002);
  EXPECT_EQ(again->reason, v->reason);
  EXPECT_TRUE(out.empty());
}

TEST(ws_parser_failed, stays_failed_when_fed_byte_by_byte) {
  ws::parser p{64};
  std::vector<ws::message> out;
  auto bytes = client(opcode::text, std::string(65, 'x')) // 1009
               + client(opcode::text, "ok") + client(opcode::close, "");
  std::vector<std::uint16_t> codes;
  for (char b : bytes)
    if (auto v = p.feed(std::string_view{&b, 1}, out))
      codes.push_back(v->close_code);
  ASSERT_FALSE(codes.empty());
  for (auto c : codes)
    EXPECT_EQ(c, 1009);
  EXPECT_TRUE(out.empty());
}

TEST(ws_parser_failed, invalid_utf8_fails_before_the_frame_ends) {
  ws::parser p{1 << 20};
  std::vector<ws::message> out;
  auto frame = client(opcode::text, "ok\xff" + std::string(100, 'x'));
  // Header (2 + 4 bytes) and the first three payload bytes only.
  auto v = p.feed(std::string_view{frame}.substr(0, 9), out);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->close_code, 1007);
}

TEST(ws_parser_failed, invalid_utf8_fails_before_the_message_ends) {
  ws::parser p{1 << 20};
  std::vector<ws::message> out;
  EXPECT_FALSE(p.feed(client(opcode::text, "fine \xe2\x82", false), out));
  auto v = p.feed(client(opcode::continuation, "\x41", false), out);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->close_code, 1007);
  EXPECT_TRUE(out.empty());
}

TEST(ws_parser_failed, text_split_at_every_byte_between_fragments_is_accepted) {
  for (std::size_t i = 0; i <= mixed.size(); ++i)
    for (std::size_t j = i; j <= mixed.size(); ++j) {
      ws::parser p{1 << 20};
      std::vector<ws::message> out;
      auto v
        = p.feed(client(opcode::text, mixed.substr(0, i), false)
                   + client(opcode::continuation, mixed.substr(i, j - i), false)
                   + client(opcode::continuation, mixed.substr(j)),
                 out);
      ASSERT_FALSE(v) << i << " " << j;
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].payload, mixed);
    }
}

TEST(ws_parser_failed, unfinished_character_at_the_message_end_is_1007) {
  for (std::size_t cut = 1; cut < 4; ++cut) {
    ws::parser p{1 << 20};
    std::vector<ws::message> out;
    auto v = p.feed(
      client(opcode::text, std::string{"\xf0\x9f\x98\x80"}.substr(0, cut)),
      out);
    ASSERT_TRUE(v) << cut;
    EXPECT_EQ(v->close_code, 1007);
  }
}

TEST(ws_close_payload, reason_cut_at_every_position_stays_valid_utf8) {
  for (std::size_t shift = 0; shift < 4; ++shift) {
    for (std::size_t len = 100; len < 140; ++len) {
      // Whole characters of 1 to 4 bytes, up to `len` bytes.
      static const std::vector<std::string> chars
        = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xce\xba"};
      std::string reason(shift, '.');
      for (std::size_t i = 0; reason.size() + chars[i % 5].size() <= len; ++i)
        reason += chars[i % 5];
      auto payload = ws::close_payload(4008, reason);
      ASSERT_LE(payload.size(), 125u);
      auto got = payload.substr(2);
      ASSERT_TRUE(h2h::net::valid_utf8(got)) << shift << " " << len;
      ASSERT_EQ(reason.compare(0, got.size(), got), 0) << "not a prefix";
      ASSERT_GE(got.size() + 3, std::min<std::size_t>(reason.size(), 123))
        << "cut more than a character";
    }
  }
}

TEST(ws_close_payload, ill_formed_reason_is_repaired) {
  for (std::string bad : {std::string{"bad \xff reason"},
                          std::string{"cut \xe2\x82"}, std::string(130, '\x80'),
                          "x" + std::string(122, 'y') + "\xf0\x9f\x98\x80"}) {
    auto payload = ws::close_payload(1011, bad);
    ASSERT_LE(payload.size(), 125u);
    EXPECT_TRUE(h2h::net::valid_utf8(payload.substr(2))) << bad;
  }
}
