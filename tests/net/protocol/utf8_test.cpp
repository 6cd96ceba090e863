// Unit tests of UTF-8 validation, scanning of unfinished text, cutting at
// code points and repair of ill-formed input.
#include "net/protocol/utf8.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using namespace h2h::net;

namespace {

/// The reference: decode each sequence and check the value's range (the
/// definition of well-formed UTF-8, written the slow and obvious way).
bool reference_valid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<std::uint8_t>(s[i]);
    int extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size())
      return false;
    for (int k = 1; k <= extra; ++k) {
      auto b = static_cast<std::uint8_t>(s[i + static_cast<std::size_t>(k)]);
      if ((b & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr std::uint32_t min_of[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_of[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

std::string bytes(std::initializer_list<int> xs) {
  std::string out;
  for (int x : xs)
    out += static_cast<char>(x);
  return out;
}

// 1-, 2-, 3- and 4-byte characters.
const std::string mixed = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z\xce\xba"
                          "\xe1\xbd\xb9\xf4\x8f\xbf\xbf";

} // namespace

TEST(utf8, validation_agrees_with_the_reference_on_all_short_sequences) {
  for (int a = 0; a < 256; ++a) {
    ASSERT_EQ(valid_utf8(bytes({a})), reference_valid(bytes({a}))) << a;
    for (int b = 0; b < 256; ++b) {
      auto s = bytes({a, b});
      ASSERT_EQ(valid_utf8(s), reference_valid(s)) << a << " " << b;
    }
  }
  for (int a = 0xE0; a < 0x100; ++a)
    for (int b = 0; b < 256; ++b)
      for (int c : {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF}) {
        auto s = bytes({a, b, c});
        ASSERT_EQ(valid_utf8(s), reference_valid(s)) << a << " " << b;
        for (int d : {0x41, 0x80, 0xBF, 0xC0}) {
          auto t = bytes({a, b, c, d});
          ASSERT_EQ(valid_utf8(t), reference_valid(t)) << a << " " << b;
        }
      }
}

TEST(utf8, validation_of_long_ascii_runs_with_one_bad_byte_anywhere) {
  for (std::size_t at = 0; at < 40; ++at) {
    std::string s(40, 'x');
    EXPECT_TRUE(valid_utf8(s));
    s[at] = '\x80';
    EXPECT_FALSE(valid_utf8(s)) << at;
  }
}

TEST(utf8, scan_of_every_prefix_tells_unfinished_from_invalid) {
  for (std::size_t n = 0; n <= mixed.size(); ++n) {
    auto prefix = std::string_view{mixed}.substr(0, n);
    auto r = scan_utf8(prefix);
    // Ends inside a character: everything before it is valid, the tail is
    // unfinished, never invalid.
    EXPECT_EQ(r.valid, utf8_cut(mixed, n)) << n;
    EXPECT_EQ(r.incomplete, r.valid != n) << n;
  }
  EXPECT_FALSE(scan_utf8("ab\xff").incomplete);
  EXPECT_EQ(scan_utf8("ab\xff").valid, 2u);
  EXPECT_FALSE(scan_utf8("\xe2\x82x").incomplete);
  EXPECT_FALSE(scan_utf8("\xed\xa0").incomplete); // a surrogate already
  EXPECT_FALSE(scan_utf8("\xf4\x90").incomplete); // above U+10FFFF already
  EXPECT_FALSE(scan_utf8("\xe0\x80").incomplete); // overlong already
  EXPECT_TRUE(scan_utf8("\xf0\x9f\x98").incomplete);
}

TEST(utf8, cut_never_splits_a_character_at_any_position) {
  for (std::size_t shift = 0; shift < 4; ++shift) {
    std::string s = std::string(shift, '-');
    while (s.size() < 80)
      s += mixed;
    for (std::size_t max = 0; max <= s.size() + 1; ++max) {
      auto n = utf8_cut(s, max);
      ASSERT_LE(n, max);
      ASSERT_TRUE(valid_utf8(std::string_view{s}.substr(0, n))) << max;
      // As long as possible: the character at n does not fit.
      if (n < s.size()) {
        auto lead = static_cast<std::uint8_t>(s[n]);
        std::size_t len = lead < 0x80   ? 1
                          : lead < 0xE0 ? 2
                          : lead < 0xF0 ? 3
                                        : 4;
        ASSERT_GT(n + len, max) << "shift " << shift << ", max " << max;
      }
    }
  }
}

TEST(utf8, repair_keeps_valid_text_and_replaces_each_bad_sequence) {
  EXPECT_EQ(utf8_repair(mixed), mixed);
  EXPECT_EQ(utf8_repair(""), "");
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(utf8_repair("a\xff"
                        "b"),
            "a" + fffd + "b");
  EXPECT_EQ(utf8_repair("a\xe2\x82"), "a" + fffd); // cut off at the end
  EXPECT_EQ(utf8_repair("\xe2\x82z"), fffd + "z");
  EXPECT_EQ(utf8_repair("\xed\xa0\x80"), fffd + fffd + fffd);
  EXPECT_EQ(utf8_repair("\xc0\xaf"), fffd + fffd);
  EXPECT_EQ(utf8_repair("\xf0\x9f\x98x\xf0\x9f\x98\x80"),
            fffd + "x\xf0\x9f\x98\x80");
}

TEST(utf8, repair_always_gives_valid_text) {
  std::uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    auto len = round % 17;
    for (int i = 0; i < len; ++i) {
      x = x * 1664525 + 1013904223;
      s += static_cast<char>(x >> 24);
    }
    auto r = utf8_repair(s);
    ASSERT_TRUE(valid_utf8(r)) << round;
    if (valid_utf8(s)) {
      ASSERT_EQ(r, s);
    }
  }
}
