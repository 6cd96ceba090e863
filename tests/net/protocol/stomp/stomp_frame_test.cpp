// The STOMP frame codec: every split point, every command, each version's
// escaping, both EOLs, heart-beats and every limit.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/protocol/stomp/stomp_frame.hpp"

using namespace h2h::net::stomp;
using namespace std::string_literals;

namespace {

std::vector<parsed> parse_all(std::string_view bytes, frame_limits limits = {},
                              version v = version::v1_2) {
  parser p{limits};
  p.set_version(v);
  std::vector<parsed> out;
  p.feed(bytes, out);
  return out;
}

/// A compact description of what the parser produced, for comparisons.
std::string describe(const std::vector<parsed>& items) {
  std::string s;
  for (const auto& it : items) {
    if (std::holds_alternative<heartbeat>(it)) {
      s += "[hb]";
    } else if (auto* e = std::get_if<parse_error>(&it)) {
      s += "[error:" + e->message + "]";
    } else {
      const auto& f = std::get<frame>(it);
      s += "[" + f.command;
      for (const auto& h : f.headers)
        s += "|" + h.name + "=" + h.value;
      s += "|body=" + f.body + "]";
    }
  }
  return s;
}

const frame& only_frame(const std::vector<parsed>& items) {
  static const frame none;
  if (items.size() != 1 || !std::holds_alternative<frame>(items[0])) {
    ADD_FAILURE() << "expected one frame, got " << describe(items);
    return none;
  }
  return std::get<frame>(items[0]);
}

std::string error_of(const std::vector<parsed>& items) {
  for (const auto& it : items)
    if (auto* e = std::get_if<parse_error>(&it))
      return e->message;
  return "";
}

} // namespace

TEST(stomp_frame, every_client_and_server_command_parses) {
  for (const char* cmd :
       {"CONNECT", "STOMP", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK",
        "BEGIN", "COMMIT", "ABORT", "DISCONNECT", "CONNECTED", "MESSAGE",
        "RECEIPT", "ERROR"}) {
    auto items = parse_all(std::string{cmd} + "\nk:v\n\nbody\0"s);
    const auto& f = only_frame(items);
    EXPECT_EQ(f.command, cmd);
    ASSERT_EQ(f.headers.size(), 1u) << cmd;
    EXPECT_EQ(f.body, "body") << cmd;
  }
}

TEST(stomp_frame, malformed_command_line_is_an_error) {
  EXPECT_NE(error_of(parse_all("send\n\n\0"s)), "");
  EXPECT_NE(error_of(parse_all("SE ND\n\n\0"s)), "");
}

TEST(stomp_frame, crlf_and_lf_line_ends_both_work) {
  auto lf = parse_all("SEND\ndestination:/a\n\nhi\0"s);
  auto crlf = parse_all("SEND\r\ndestination:/a\r\n\r\nhi\0"s);
  EXPECT_EQ(describe(lf), "[SEND|destination=/a|body=hi]");
  EXPECT_EQ(describe(crlf), describe(lf));
}

TEST(stomp_frame, eols_between_frames_are_heartbeats) {
  auto items = parse_all("\n\r\nSEND\n\nx\0\n\nSEND\n\ny\0\r\n"s);
  EXPECT_EQ(describe(items), "[hb][hb][SEND|body=x][hb][hb][SEND|body=y][hb]");
}

TEST(stomp_frame, lone_cr_between_frames_is_an_error) {
  EXPECT_NE(error_of(parse_all("\rSEND\n\n\0"s)), "");
}

TEST(stomp_frame, content_length_allows_nul_in_the_body) {
  auto items = parse_all("SEND\ncontent-length:5\n\na\0b\0c\0"s);
  EXPECT_EQ(only_frame(items).body, "a\0b\0c"s);
}

TEST(stomp_frame, content_length_without_nul_after_it_is_an_error) {
  EXPECT_NE(error_of(parse_all("SEND\ncontent-length:2\n\nabc\0"s)), "");
  EXPECT_NE(error_of(parse_all("SEND\ncontent-length:x\n\nabc\0"s)), "");
  EXPECT_NE(error_of(parse_all("SEND\ncontent-length:-1\n\n\0"s)), "");
}

TEST(stomp_frame, without_content_length_the_body_ends_at_nul) {
  auto items = parse_all("SEND\n\nabc\0SEND\n\n\0"s);
  EXPECT_EQ(describe(items), "[SEND|body=abc][SEND|body=]");
}

TEST(stomp_frame, repeated_header_first_value_wins) {
  auto items = parse_all("SEND\nfoo:1\nfoo:2\n\n\0"s);
  const auto& f = only_frame(items);
  ASSERT_NE(f.find("foo"), nullptr);
  EXPECT_EQ(*f.find("foo"), "1");
  EXPECT_EQ(f.headers.size(), 2u);
}

TEST(stomp_frame, header_without_colon_is_an_error) {
  EXPECT_NE(error_of(parse_all("SEND\nnocolon\n\n\0"s)), "");
  EXPECT_NE(error_of(parse_all("SEND\n:value\n\n\0"s)), "");
}

TEST(stomp_frame, escaping_v12_decodes_all_four) {
  auto items
    = parse_all("SEND\nk\\c:a\\nb\\cc\\\\d\\re\n\n\0"s, {}, version::v1_2);
  const auto& f = only_frame(items);
  ASSERT_EQ(f.headers.size(), 1u);
  EXPECT_EQ(f.headers[0].name, "k:");
  EXPECT_EQ(f.headers[0].value, "a\nb:c\\d\re");
}

TEST(stomp_frame, escaping_v11_has_no_cr_escape) {
  auto ok = parse_all("SEND\nk:a\\nb\\cc\\\\d\n\n\0"s, {}, version::v1_1);
  EXPECT_EQ(only_frame(ok).headers[0].value, "a\nb:c\\d");
  EXPECT_NE(error_of(parse_all("SEND\nk:\\r\n\n\0"s, {}, version::v1_1)), "");
}

TEST(stomp_frame, escaping_v10_is_literal) {
  auto items = parse_all("SEND\nk:a\\nb\\x\n\n\0"s, {}, version::v1_0);
  EXPECT_EQ(only_frame(items).headers[0].value, "a\\nb\\x");
}

TEST(stomp_frame, undefined_escape_is_an_error_in_v12) {
  EXPECT_NE(error_of(parse_all("SEND\nk:a\\tb\n\n\0"s)), "");
  EXPECT_NE(error_of(parse_all("SEND\nk:a\\\n\n\0"s)), "");
}

TEST(stomp_frame, connect_frames_are_never_unescaped) {
  for (const char* cmd : {"CONNECT", "STOMP", "CONNECTED"}) {
    auto items = parse_all(std::string{cmd} + "\npasscode:a\\b\\c\n\n\0"s);
    EXPECT_EQ(only_frame(items).headers[0].value, "a\\b\\c") << cmd;
  }
}

TEST(stomp_frame, serializer_escapes_per_version) {
  frame f{"MESSAGE", {{"k", "a:b\nc\\d\re"}}, ""};
  EXPECT_EQ(serialize(f, version::v1_2),
            "MESSAGE\nk:a\\cb\\nc\\\\d\\re\n\n\0"s);
  EXPECT_EQ(serialize(f, version::v1_1), "MESSAGE\nk:a\\cb\\nc\\\\d\re\n\n\0"s);
  EXPECT_EQ(serialize(f, version::v1_0), "MESSAGE\nk:a:b\nc\\d\re\n\n\0"s);
  frame c{"CONNECTED", {{"k", "a:b"}}, ""};
  EXPECT_EQ(serialize(c, version::v1_2), "CONNECTED\nk:a:b\n\n\0"s);
}

TEST(stomp_frame, serializer_adds_content_length) {
  frame f{"MESSAGE", {}, "a\0b"s};
  EXPECT_EQ(serialize(f, version::v1_2),
            "MESSAGE\ncontent-length:3\n\na\0b\0"s);
}

TEST(stomp_frame, round_trip_through_serializer_for_each_version) {
  for (auto v : {version::v1_1, version::v1_2}) {
    frame f{"SEND", {{"destination", "/x"}, {"odd", "a:b\n\\c"}}, "x\0y"s};
    auto items = parse_all(serialize(f, v), {}, v);
    const auto& g = only_frame(items);
    EXPECT_EQ(g.body, f.body);
    ASSERT_EQ(g.headers.size(), 3u);
    EXPECT_EQ(g.headers[1].value, "a:b\n\\c");
  }
}

TEST(stomp_frame, every_split_point_of_several_frames_gives_the_same_result) {
  auto stream = "\nCONNECT\r\naccept-version:1.2\r\nhost:h\r\n\r\n\0"
                "SUBSCRIBE\nid:0\ndestination:/subscribe/room/r1\n\n\0\r\n"
                "SEND\ndestination:/publish/message\ncontent-length:4\n\n"
                "a\0b\n\0"
                "\n"
                "SEND\nreceipt:r\\c1\n\n{\"x\":1}\0DISCONNECT\n\n\0"s;
  auto whole = describe(parse_all(stream));
  ASSERT_EQ(error_of(parse_all(stream)), "");
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    for (std::size_t j = i; j <= stream.size(); ++j) {
      parser p;
      std::vector<parsed> out;
      p.feed(std::string_view{stream}.substr(0, i), out);
      p.feed(std::string_view{stream}.substr(i, j - i), out);
      p.feed(std::string_view{stream}.substr(j), out);
      ASSERT_EQ(describe(out), whole) << "split at " << i << ", " << j;
      EXPECT_TRUE(p.at_boundary());
    }
  }
}

TEST(stomp_frame, one_byte_at_a_time) {
  auto stream = "SEND\nk:v\n\nbody\0\nSEND\ncontent-length:1\n\n\0\0"s;
  parser p;
  std::vector<parsed> out;
  for (char c : stream)
    p.feed(std::string_view{&c, 1}, out);
  EXPECT_EQ(describe(out), describe(parse_all(stream)));
}

TEST(stomp_frame, limit_header_count) {
  frame_limits l;
  l.max_headers = 2;
  EXPECT_EQ(error_of(parse_all("SEND\na:1\nb:2\n\n\0"s, l)), "");
  EXPECT_EQ(error_of(parse_all("SEND\na:1\nb:2\nc:3\n\n\0"s, l)),
            "more than 2 headers");
}

TEST(stomp_frame, limit_header_line_bytes_even_before_its_eol) {
  frame_limits l;
  l.max_header_bytes = 8;
  EXPECT_EQ(error_of(parse_all("SEND\nk:123456\n\n\0"s, l)), "");
  EXPECT_NE(error_of(parse_all("SEND\nk:1234567\n\n\0"s, l)), "");
  // No EOL yet: the parser need not buffer more to know.
  EXPECT_NE(error_of(parse_all("SEND\nk:12345678901"s, l)), "");
}

TEST(stomp_frame, limit_body_bytes_with_and_without_content_length) {
  frame_limits l;
  l.max_body_bytes = 4;
  EXPECT_EQ(error_of(parse_all("SEND\n\n1234\0"s, l)), "");
  EXPECT_EQ(error_of(parse_all("SEND\n\n12345\0"s, l)),
            "body longer than 4 bytes");
  EXPECT_EQ(error_of(parse_all("SEND\n\n12345"s, l)),
            "body longer than 4 bytes");
  EXPECT_EQ(error_of(parse_all("SEND\ncontent-length:5\n\n"s, l)),
            "body longer than 4 bytes");
}

TEST(stomp_frame, limit_total_frame_bytes) {
  frame_limits l;
  l.max_frame_bytes = 20;
  EXPECT_EQ(error_of(parse_all("SEND\na:1\n\n123456789\0"s, l)), "");
  EXPECT_EQ(error_of(parse_all("SEND\na:1\n\n1234567890\0"s, l)),
            "frame longer than 20 bytes");
  EXPECT_EQ(error_of(parse_all("SEND\na:1\nb:2\nc:3\nd:4\ne:5\n"s, l)),
            "frame longer than 20 bytes");
  EXPECT_EQ(error_of(parse_all("SEND\ncontent-length:16\n\n"s, l)),
            "frame longer than 20 bytes");
}

TEST(stomp_frame, after_an_error_nothing_more_is_parsed) {
  parser p;
  std::vector<parsed> out;
  p.feed("bad\n\n\0"s, out);
  ASSERT_TRUE(p.failed());
  auto n = out.size();
  p.feed("SEND\n\n\0"s, out);
  EXPECT_EQ(out.size(), n);
}
