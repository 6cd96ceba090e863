// The rule for names and nicknames: no control, bidi override or line
// separator characters; any script, emoji and directional marks are fine.
#include <gtest/gtest.h>

#include "net/protocol/display_name.hpp"

using h2h::net::display_name_problem;

TEST(display_name, ordinary_names_in_any_script_pass) {
  for (std::string ok :
       {"alice", "Alice Liddell", "Zoë", "김철수", "محمد", "Ἀλίκη", "アリス",
        "🙂 smile", "o'brien-smith", "rtl mark \u200f", "ltr mark \u200e",
        "zwj 👩\u200d💻", "nbsp\u00a0x", "a\u00a1b"})
    EXPECT_EQ(display_name_problem(ok), "") << ok;
}

TEST(display_name, every_c0_control_and_del_are_refused) {
  for (int c = 0; c < 0x20; ++c) {
    std::string s = "ab";
    s.insert(s.begin() + 1, static_cast<char>(c));
    EXPECT_NE(display_name_problem(s), "") << c;
  }
  EXPECT_NE(display_name_problem("del\x7f"), "");
}

TEST(display_name, every_c1_control_is_refused) {
  for (unsigned c = 0x80; c <= 0x9F; ++c) {
    std::string s = "a";
    s += static_cast<char>(0xC2);
    s += static_cast<char>(c);
    EXPECT_NE(display_name_problem(s), "") << std::hex << c;
  }
}

TEST(display_name, bidi_overrides_isolates_and_separators_are_refused) {
  for (std::string bad :
       {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
        "\u2068", "\u2069", "\u2028", "\u2029"})
    EXPECT_NE(display_name_problem("x" + bad + "y"), "") << bad.size();
}

TEST(display_name, the_message_names_the_character) {
  EXPECT_EQ(display_name_problem("bell\a"),
            "must not contain control characters (U+0007)");
  EXPECT_NE(display_name_problem("evil\u202egnp.exe").find("U+202E"),
            std::string::npos);
  EXPECT_NE(display_name_problem("a\u2028b").find("U+2028"), std::string::npos);
}

TEST(display_name, invalid_utf8_is_refused) {
  for (std::string bad : {"\xc3", "\xff", "a\xed\xa0\x80", "\xc0\xaf"})
    EXPECT_EQ(display_name_problem(bad), "must be valid UTF-8");
}
