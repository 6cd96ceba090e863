// Regression tests for what the fuzzers of tests/fuzz found in the network
// layer's pure code: each input is spelled out readably and named for the
// behaviour it proves.
#include <cstdint>
#include <limits>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "net/protocol/raw_json/json_codec.hpp"
#include "net/protocol/utf8.hpp"

using h2h::net::codec_limits;
using h2h::net::decode_client_frame;
using h2h::net::encode_error;
using h2h::net::format_timestamp;
using h2h::net::frame_error;
using h2h::net::valid_utf8;

// json_codec_fuzz: an event with ts -9223372036854775807 overflowed a signed
// subtraction (UBSan), and years beyond 9999 printed as "1900-01-00".
TEST(json_encode, timestamps_outside_rfc3339_years_are_clamped) {
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(format_timestamp(min), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(-max), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(-62167219200001), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(-62167219200000), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(-62167219199999), "0000-01-01T00:00:00.001Z");
  EXPECT_EQ(format_timestamp(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(253402300800000), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(max), "9999-12-31T23:59:59.999Z");
}

// json_codec_fuzz: an unknown type is echoed cut to 32 bytes; the cut fell
// inside a multi-byte character and the ERROR frame was not UTF-8 (browsers
// then fail the connection with 1007).
TEST(json_refuse, unknown_type_is_echoed_cut_on_a_character_boundary) {
  for (std::size_t k = 0; k <= 40; ++k) {
    auto type = std::string(k, 'x') + "\xe4\xbd\xa0" + "\xf0\x9f\x98\x80" + "y";
    auto frame = R"({"type":")" + type + R"(","roomId":"r1"})";
    auto r = decode_client_frame(frame, codec_limits{});
    auto* e = std::get_if<frame_error>(&r);
    ASSERT_NE(e, nullptr) << frame;
    EXPECT_TRUE(valid_utf8(e->message)) << "k = " << k << ": " << e->message;
    EXPECT_NE(e->message.find("unknown type '"), std::string::npos);
    auto wire = encode_error(e->code, e->message, e->client_msg_id);
    EXPECT_TRUE(valid_utf8(wire)) << "k = " << k << ": " << wire;
  }
}
