// ERROR frames are always valid UTF-8 (a browser fails the connection with
// 1007 otherwise): cut messages end on a code point, and ill-formed text
// from anywhere, client input included, is never echoed raw.
#include "net/protocol/raw_json/json_codec.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/protocol/utf8.hpp"

using h2h::errc;
using h2h::net::decode_client_frame;
using h2h::net::encode_error;
using h2h::net::frame_error;
using h2h::net::valid_utf8;
using nlohmann::json;

namespace {

// Characters of 1 to 4 bytes.
const std::vector<std::string> chars
  = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xce\xba"};

/// `shift` ASCII bytes, then mixed characters up to about `bytes` bytes.
std::string mixed_text(std::size_t shift, std::size_t bytes) {
  std::string s(shift, '.');
  for (std::size_t i = 0; s.size() < bytes; ++i)
    s += chars[i % chars.size()];
  return s;
}

/// Parses an ERROR frame strictly (nlohmann rejects ill-formed UTF-8).
json parse_error_frame(const std::string& frame) {
  EXPECT_TRUE(valid_utf8(frame)) << frame;
  auto j = json::parse(frame);
  EXPECT_EQ(j["type"], "ERROR");
  return j;
}

} // namespace

TEST(error_frame, a_long_message_is_cut_on_a_code_point_at_every_offset) {
  for (std::size_t shift = 0; shift < 4; ++shift)
    for (std::size_t len = 500; len < 530; ++len) {
      auto text = mixed_text(shift, len);
      auto j = parse_error_frame(encode_error(errc::bad_frame, text, "c-1"));
      auto got = j["message"].get<std::string>();
      ASSERT_LE(got.size(), 512u);
      ASSERT_GE(got.size(), std::min<std::size_t>(text.size(), 512) - 3);
      ASSERT_EQ(text.compare(0, got.size(), got), 0) << "not a prefix";
      EXPECT_EQ(j["clientMsgId"], "c-1");
    }
}

TEST(error_frame, a_short_message_is_kept_whole) {
  auto text = mixed_text(1, 200);
  auto j = parse_error_frame(encode_error(errc::not_in_room, text, {}));
  EXPECT_EQ(j["message"], text);
  EXPECT_FALSE(j.contains("clientMsgId"));
}

TEST(error_frame, ill_formed_message_and_client_msg_id_are_repaired) {
  for (std::string bad :
       {std::string{"\xff"}, std::string{"ab\xc0\xaf"},
        std::string{"\xed\xa0\x80"}, std::string{"cut \xe2\x82"},
        std::string{"\xf4\x90\x80\x80"}, std::string(600, '\x80')}) {
    auto j = parse_error_frame(encode_error(errc::bad_frame, bad, bad));
    EXPECT_TRUE(j["message"].get<std::string>().find("\xef\xbf\xbd")
                != std::string::npos);
    EXPECT_LE(j["message"].get<std::string>().size(), 512u);
    EXPECT_LE(j["clientMsgId"].get<std::string>().size(), 256u);
  }
}

TEST(error_frame, a_64_character_client_msg_id_is_echoed_whole) {
  std::string id;
  for (int i = 0; i < 64; ++i)
    id += "\xf0\x9f\x98\x80"; // 256 bytes
  auto j = parse_error_frame(encode_error(errc::bad_frame, "x", id));
  EXPECT_EQ(j["clientMsgId"], id);
}

TEST(error_frame, an_unknown_type_is_echoed_cut_on_a_code_point) {
  for (std::size_t shift = 0; shift < 4; ++shift) {
    auto type = mixed_text(shift, 60);
    auto frame = json{{"type", type}, {"roomId", "r1"}}.dump();
    auto r = decode_client_frame(frame, {});
    auto* err = std::get_if<frame_error>(&r);
    ASSERT_TRUE(err);
    EXPECT_TRUE(valid_utf8(err->message)) << "shift " << shift;
    parse_error_frame(encode_error(err->code, err->message, {}));
  }
}
