// h2h-admin's parser: every command to its JSON request (docs/admin.md),
// every kind of bad argument to an error that names it.
#include <gtest/gtest.h>

#include "h2h-admin/command_table.hpp"
#include "h2h-admin/parse.hpp"

namespace {

using h2h::admin::parse_line;
using h2h::admin::parsed_line;
using kind = parsed_line::kind;

/// The request of `line`, or the error text prefixed with "ERROR: ".
std::string request_of(std::string_view line) {
  auto p = parse_line(line);
  if (p.what == kind::error)
    return "ERROR: " + p.text;
  EXPECT_EQ(p.what, kind::request) << line;
  return p.request;
}

std::string error_of(std::string_view line) {
  auto p = parse_line(line);
  EXPECT_EQ(p.what, kind::error) << line << " -> " << p.request;
  return p.text;
}

TEST(AdminParse, EveryCommandBecomesItsRequest) {
  EXPECT_EQ(request_of("nodes"), R"({"cmd":"nodes"})");
  EXPECT_EQ(request_of("rooms"), R"({"cmd":"rooms"})");
  EXPECT_EQ(request_of("rooms --node n2 --sort members --limit 5"),
            R"({"cmd":"rooms","node":"n2","sort":"members","limit":5})");
  EXPECT_EQ(request_of("rooms --sort=rate --limit=10000"),
            R"({"cmd":"rooms","sort":"rate","limit":10000})");
  EXPECT_EQ(request_of("rooms --sort mailbox"),
            R"({"cmd":"rooms","sort":"mailbox"})");
  EXPECT_EQ(request_of("room lobby-1"), R"({"cmd":"room","room":"lobby-1"})");
  EXPECT_EQ(request_of("sessions"), R"({"cmd":"sessions"})");
  EXPECT_EQ(request_of("sessions --room r1 --member 7 --limit 3"),
            R"({"cmd":"sessions","room":"r1","member":7,"limit":3})");
  EXPECT_EQ(request_of("member 9223372036854775807"),
            R"({"cmd":"member","member":9223372036854775807})");
  EXPECT_EQ(request_of("kick 7"), R"({"cmd":"kick","member":7})");
  EXPECT_EQ(request_of("kick 7 r1"),
            R"({"cmd":"kick","member":7,"room":"r1"})");
  EXPECT_EQ(request_of("close r_2"), R"({"cmd":"close","room":"r_2"})");
  EXPECT_EQ(request_of("stats"), R"({"cmd":"stats"})");
  EXPECT_EQ(request_of("loglevel debug"),
            R"({"cmd":"loglevel","level":"debug"})");
  for (auto level : {"trace", "info", "warning", "error"})
    EXPECT_EQ(request_of(std::string{"loglevel "} + level),
              std::string{R"({"cmd":"loglevel","level":")"} + level + "\"}");
  EXPECT_EQ(request_of("drain"), R"({"cmd":"drain"})");
}

TEST(AdminParse, ReportsTakeATargetAndALimit) {
  EXPECT_EQ(request_of("reports"), R"({"cmd":"reports"})");
  EXPECT_EQ(request_of("reports --target 7"),
            R"({"cmd":"reports","target":7})");
  EXPECT_EQ(request_of("reports --limit 5 --target=9"),
            R"({"cmd":"reports","limit":5,"target":9})");
  EXPECT_NE(error_of("reports --target bob").find("a member id"),
            std::string::npos);
  EXPECT_NE(error_of("reports --limit 0").find("a number from 1"),
            std::string::npos);
  EXPECT_NE(error_of("reports 7").find("too many arguments"),
            std::string::npos);
}

TEST(AdminParse, CommandNamesIgnoreCaseAndBlanks) {
  EXPECT_EQ(request_of("  ROOMS\t--limit 2  "), R"({"cmd":"rooms","limit":2})");
  EXPECT_EQ(request_of("Room r1"), R"({"cmd":"room","room":"r1"})");
}

TEST(AdminParse, BroadcastTakesTheRestOfTheLineAsTyped) {
  EXPECT_EQ(request_of("broadcast r1 hello   world"),
            R"({"cmd":"broadcast","room":"r1","text":"hello   world"})");
  EXPECT_EQ(request_of("broadcast r1 \"quoted text\""),
            R"({"cmd":"broadcast","room":"r1","text":"quoted text"})");
  EXPECT_EQ(
    request_of("broadcast r1 'single \"inner\" quotes'"),
    R"({"cmd":"broadcast","room":"r1","text":"single \"inner\" quotes"})");
  // An apostrophe is text, not an unterminated quote.
  EXPECT_EQ(request_of("broadcast r1 it's time"),
            R"({"cmd":"broadcast","room":"r1","text":"it's time"})");
  // Words that look like options are text too.
  EXPECT_EQ(
    request_of("broadcast r1 --limit is not an option here"),
    R"({"cmd":"broadcast","room":"r1","text":"--limit is not an option here"})");
  EXPECT_EQ(request_of("broadcast r1 \"two\" \"strings\""),
            R"({"cmd":"broadcast","room":"r1","text":"\"two\" \"strings\""})");
  EXPECT_EQ(request_of("broadcast r1 grüße 🎉"),
            R"({"cmd":"broadcast","room":"r1","text":"grüße 🎉"})");
}

TEST(AdminParse, QuotedWordsAreUnquoted) {
  EXPECT_EQ(request_of("room \"r1\""), R"({"cmd":"room","room":"r1"})");
  EXPECT_EQ(request_of("kick '7' r\\1"),
            R"({"cmd":"kick","member":7,"room":"r1"})");
}

TEST(AdminParse, BlankLinesAndCommentsAreNothing) {
  EXPECT_EQ(parse_line("").what, kind::empty);
  EXPECT_EQ(parse_line("   \t").what, kind::empty);
  EXPECT_EQ(parse_line("# a comment in a script").what, kind::empty);
}

TEST(AdminParse, HelpAndQuitAreLocal) {
  auto h = parse_line("help");
  EXPECT_EQ(h.what, kind::help);
  EXPECT_NE(h.text.find("rooms [--node N]"), std::string::npos);
  auto one = parse_line("help kick");
  EXPECT_EQ(one.what, kind::help);
  EXPECT_EQ(one.text.rfind("usage: kick <member> [room]", 0), 0u) << one.text;
  EXPECT_EQ(parse_line("quit").what, kind::quit);
  EXPECT_EQ(parse_line("QUIT").what, kind::quit);
}

TEST(AdminParse, UnknownCommandsAreNamed) {
  EXPECT_EQ(error_of("roms"),
            "unknown command 'roms' (type 'help' for the list)");
  EXPECT_EQ(error_of("help roms"),
            "unknown command 'roms' (type 'help' for the list)");
  // auth is the port's, sent by h2h-admin itself from --token.
  EXPECT_NE(error_of("auth secret").find("unknown command 'auth'"),
            std::string::npos);
}

TEST(AdminParse, MissingArgumentsAreNamed) {
  EXPECT_EQ(error_of("room"),
            "missing argument <id> for 'room' (usage: room <id>)");
  EXPECT_EQ(error_of("member"),
            "missing argument <id> for 'member' (usage: member <id>)");
  EXPECT_EQ(error_of("kick"), "missing argument <member> for 'kick' (usage: "
                              "kick <member> [room])");
  EXPECT_NE(error_of("close").find("missing argument <room>"),
            std::string::npos);
  EXPECT_NE(error_of("broadcast").find("missing argument <room>"),
            std::string::npos);
  EXPECT_NE(error_of("broadcast r1").find("missing argument <text>"),
            std::string::npos);
  EXPECT_NE(error_of("broadcast r1 \"\"").find("the text is empty"),
            std::string::npos);
  EXPECT_NE(error_of("loglevel").find("missing argument <level>"),
            std::string::npos);
}

TEST(AdminParse, ExtraArgumentsAreNamed) {
  EXPECT_EQ(error_of("nodes now"),
            "too many arguments for 'nodes': 'now' (usage: nodes)");
  EXPECT_NE(error_of("room r1 r2").find("too many arguments for 'room': 'r2'"),
            std::string::npos);
  EXPECT_NE(error_of("kick 7 r1 r2").find("'r2'"), std::string::npos);
  EXPECT_NE(error_of("stats all").find("'all'"), std::string::npos);
  EXPECT_NE(error_of("drain now").find("'now'"), std::string::npos);
  EXPECT_NE(error_of("quit now").find("'now'"), std::string::npos);
  EXPECT_NE(error_of("help rooms room").find("'room'"), std::string::npos);
  EXPECT_NE(error_of("rooms r1").find("'r1'"), std::string::npos);
}

TEST(AdminParse, MemberIdsArePositiveIntegers) {
  for (auto bad : {"0", "-7", "7x", "1.5", "abc", "+7", "9223372036854775808",
                   "99999999999999999999"}) {
    auto e = error_of(std::string{"member "} + bad);
    EXPECT_EQ(e, "bad id '" + std::string{bad}
                   + "': a member id is a positive integer (usage: member "
                     "<id>)");
  }
  EXPECT_NE(error_of("kick x").find("bad member 'x'"), std::string::npos);
  EXPECT_NE(error_of("sessions --member 0")
              .find("bad value for --member '0': a member id is a positive "
                    "integer"),
            std::string::npos);
}

TEST(AdminParse, RoomIdsFollowTheRoomIdRule) {
  EXPECT_NE(error_of("room bad!id")
              .find("bad id 'bad!id': a room id is 1-64 "
                    "letters, digits, '-' or '_'"),
            std::string::npos);
  EXPECT_NE(error_of("room " + std::string(65, 'a')).find("bad id"),
            std::string::npos);
  EXPECT_EQ(request_of("room " + std::string(64, 'a')),
            R"({"cmd":"room","room":")" + std::string(64, 'a') + "\"}");
  EXPECT_NE(error_of("close \"two words\"").find("bad room 'two words'"),
            std::string::npos);
  EXPECT_NE(error_of("kick 7 r/1").find("bad room 'r/1'"), std::string::npos);
  EXPECT_NE(error_of("broadcast r.1 hi").find("bad room 'r.1'"),
            std::string::npos);
  EXPECT_NE(error_of("sessions --room r:1").find("bad value for --room"),
            std::string::npos);
}

TEST(AdminParse, OptionsAreChecked) {
  EXPECT_EQ(error_of("rooms --all"),
            "unknown option '--all' for 'rooms' (usage: rooms [--node N] "
            "[--sort members|rate|mailbox] [--limit K])");
  EXPECT_NE(error_of("room r1 --limit 3").find("unknown option '--limit'"),
            std::string::npos);
  EXPECT_NE(error_of("rooms --limit").find("option --limit needs a value <K>"),
            std::string::npos);
  for (auto bad : {"0", "10001", "-1", "ten", "5.0", ""})
    EXPECT_NE(error_of(std::string{"rooms --limit="} + bad)
                .find("bad value for --limit '" + std::string{bad}
                      + "': a number from 1 to 10000"),
              std::string::npos)
      << bad;
  EXPECT_NE(error_of("sessions --limit 0").find("a number from 1 to 10000"),
            std::string::npos);
  EXPECT_NE(error_of("rooms --sort size")
              .find("bad value for --sort 'size': one of members, rate, "
                    "mailbox"),
            std::string::npos);
  EXPECT_NE(
    error_of("rooms --limit 2 --limit 3").find("option --limit given twice"),
    std::string::npos);
  EXPECT_NE(error_of("rooms --node").find("needs a value <N>"),
            std::string::npos);
}

TEST(AdminParse, LogLevelsAreChecked) {
  EXPECT_NE(error_of("loglevel verbose")
              .find("bad level 'verbose': one of trace, debug, info, "
                    "warning, error"),
            std::string::npos);
  EXPECT_NE(error_of("loglevel DEBUG").find("bad level"), std::string::npos);
}

TEST(AdminParse, UnterminatedQuotesAreErrors) {
  EXPECT_EQ(error_of("room \"r1"), "unterminated double quote");
  EXPECT_EQ(error_of("rooms --node 'n1"), "unterminated single quote");
}

TEST(AdminParse, RequestsOverTheLineLimitAreRefusedHere) {
  auto text = std::string(h2h::admin::max_request_bytes, 'x');
  EXPECT_NE(error_of("broadcast r1 " + text)
              .find("the node takes at most "
                    "65536"),
            std::string::npos);
  EXPECT_EQ(parse_line("broadcast r1 " + std::string(4000, 'x')).what,
            kind::request);
}

TEST(AdminParse, ControlCharactersInTextAreEscapedJson) {
  auto r = request_of("broadcast r1 a\tb\x01");
  EXPECT_EQ(r, R"({"cmd":"broadcast","room":"r1","text":"a\tb\u0001"})");
}

TEST(AdminParse, EveryCommandOfTheTableParsesWithItsUsage) {
  // Each command with the smallest valid arguments: the table and the
  // parser cannot drift apart.
  for (auto& c : h2h::admin::commands()) {
    std::string line{c.name};
    for (auto& a : c.arguments) {
      if (a.optional)
        continue;
      using k = h2h::admin::value_kind;
      line += a.kind == k::member   ? " 7"
              : a.kind == k::choice ? " " + std::string{a.choices.front()}
                                    : " r1";
    }
    auto p = parse_line(line);
    EXPECT_NE(p.what, kind::error) << line << ": " << p.text;
    EXPECT_EQ(p.command, &c) << line;
  }
}

} // namespace
