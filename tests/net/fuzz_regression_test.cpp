// Regression tests for what the fuzzers of tests/fuzz found in the network
// layer's pure code: each input is spelled out readably and named for the
// behaviour it proves.
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "net/json_codec.hpp"

using h2h::net::format_timestamp;

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
