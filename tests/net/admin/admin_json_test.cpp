// The admin port's request lines as a pure function (docs/admin.md):
// every command with its fields, and every bad argument refused with a
// message that names the field.
#include <gtest/gtest.h>

#include "net/admin/admin_json.hpp"

using h2h::admin_request;
using h2h::net::admin_parse_limits;
using h2h::net::parse_admin_request;

namespace {

admin_request ok(std::string_view line) {
  auto r = parse_admin_request(line);
  EXPECT_TRUE(r.ok()) << line << " -> " << r.error << ": " << r.message;
  return r.request;
}

admin_request req(std::string cmd) {
  admin_request r;
  r.command = std::move(cmd);
  return r;
}

/// Expects `line` refused with `code` and a message containing `part`.
void refused(std::string_view line, std::string_view part,
             std::string_view code = "ADMIN_BAD_REQUEST") {
  auto r = parse_admin_request(line);
  EXPECT_FALSE(r.ok()) << line;
  EXPECT_EQ(r.error, code) << line;
  EXPECT_NE(r.message.find(part), std::string::npos)
    << line << " -> " << r.message << " (expected it to name '" << part << "')";
}

} // namespace

// -- requests
// -------------------------------------------------------------------

TEST(admin_parse, commands_without_fields) {
  for (auto cmd : {"nodes", "stats", "drain"}) {
    auto r = ok(R"({"cmd":")" + std::string{cmd} + "\"}");
    EXPECT_EQ(r, req(cmd));
  }
}

TEST(admin_parse, reports_with_a_target_and_a_limit) {
  EXPECT_EQ(ok(R"({"cmd":"reports"})"), req("reports"));
  auto want = req("reports");
  want.member = 7;
  want.limit = 20;
  EXPECT_EQ(ok(R"({"cmd":"reports","target":7,"limit":20})"), want);
  refused(R"({"cmd":"reports","target":0})", "target must be");
  refused(R"({"cmd":"reports","target":"7"})", "target must be");
  refused(R"({"cmd":"reports","member":7})", "unknown field 'member'");
}

TEST(admin_parse, rooms_with_and_without_its_options) {
  EXPECT_EQ(ok(R"({"cmd":"rooms"})"), req("rooms"));
  auto r
    = ok(R"({"cmd":"rooms","node":"node-a.1","sort":"members","limit":3})");
  auto want = req("rooms");
  want.node = "node-a.1";
  want.sort = "members";
  want.limit = 3;
  EXPECT_EQ(r, want);
  EXPECT_EQ(ok(R"({"cmd":"rooms","sort":"rate"})").sort, "rate");
  EXPECT_EQ(ok(R"({"cmd":"rooms","sort":"mailbox"})").sort, "mailbox");
  EXPECT_EQ(ok(R"({"cmd":"rooms","limit":1})").limit, 1u);
  EXPECT_EQ(ok(R"({"cmd":"rooms","limit":10000})").limit, 10000u);
}

TEST(admin_parse, the_commands_that_name_a_room_or_a_member) {
  auto room = req("room");
  room.room = "r-1_x";
  EXPECT_EQ(ok(R"({"cmd":"room","room":"r-1_x"})"), room);
  auto sessions = req("sessions");
  sessions.room = "r1";
  sessions.member = 7;
  sessions.limit = 50;
  EXPECT_EQ(ok(R"({"cmd":"sessions","room":"r1","member":7,"limit":50})"),
            sessions);
  EXPECT_EQ(ok(R"({"cmd":"sessions"})"), req("sessions"));
  auto member = req("member");
  member.member = 9223372036854775807;
  EXPECT_EQ(ok(R"({"cmd":"member","member":9223372036854775807})"), member);
  auto kick = req("kick");
  kick.member = 7;
  EXPECT_EQ(ok(R"({"cmd":"kick","member":7})"), kick);
  kick.room = "r1";
  EXPECT_EQ(ok(R"({"cmd":"kick","member":7,"room":"r1"})"), kick);
  auto close = req("close");
  close.room = "r1";
  EXPECT_EQ(ok(R"({"cmd":"close","room":"r1"})"), close);
}

TEST(admin_parse, broadcast_loglevel_and_auth) {
  auto b = req("broadcast");
  b.room = "r1";
  b.text = "maintenance at 10:00 \xc3\xa9\xf0\x9f\x98\x80";
  EXPECT_EQ(
    ok("{\"cmd\":\"broadcast\",\"room\":\"r1\",\"text\":\"" + b.text + "\"}"),
    b);
  for (auto level : {"trace", "debug", "info", "warning", "error"}) {
    auto l = req("loglevel");
    l.text = level;
    EXPECT_EQ(ok(R"({"cmd":"loglevel","level":")" + std::string{level} + "\"}"),
              l);
  }
  auto a = req("auth");
  a.text = "s3cret-token-0123456789";
  EXPECT_EQ(ok(R"({"cmd":"auth","token":"s3cret-token-0123456789"})"), a);
}

TEST(admin_parse, a_trailing_cr_and_spaces_are_fine) {
  EXPECT_EQ(ok("{\"cmd\":\"nodes\"}\r"), req("nodes"));
  EXPECT_EQ(ok("  { \"cmd\" : \"nodes\" }  "), req("nodes"));
}

TEST(admin_parse, not_json_not_an_object_no_cmd) {
  refused("", "not JSON");
  refused("nodes", "not JSON");
  refused(R"({"cmd":"nodes")", "not JSON");
  refused("{\"cmd\":\"nodes\"}{}", "not JSON");
  refused("{\"cmd\":\"broadcast\",\"room\":\"r1\",\"text\":\"\xff\"}",
          "not JSON");
  refused(R"(["nodes"])", "not a JSON object");
  refused(R"("nodes")", "not a JSON object");
  refused(R"({})", "missing field 'cmd'");
  refused(R"({"room":"r1"})", "missing field 'cmd'");
  refused(R"({"cmd":7})", "cmd must be a string");
  refused(R"({"cmd":null})", "cmd must be a string");
}

TEST(admin_parse, an_unknown_command_is_its_own_error_and_echoed) {
  refused(R"({"cmd":"reboot"})", "unknown command 'reboot'",
          "ADMIN_UNKNOWN_COMMAND");
  refused(R"({"cmd":"ROOMS"})", "nodes, rooms, room", "ADMIN_UNKNOWN_COMMAND");
  auto r = parse_admin_request(R"({"cmd":"reboot"})");
  EXPECT_EQ(r.cmd, "reboot");
  // A long cmd is echoed cut, at a code point.
  std::string name(40, 'x');
  name += "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9xxxxxxxx";
  auto cut = parse_admin_request("{\"cmd\":\"" + name + "\"}");
  EXPECT_LE(cut.cmd.size(), 64u);
  EXPECT_EQ(cut.cmd, name.substr(0, 64));
}

TEST(admin_parse, unknown_fields_are_refused_by_name) {
  refused(R"({"cmd":"nodes","node":"n1"})", "unknown field 'node' for nodes");
  refused(R"({"cmd":"rooms","room":"r1"})", "unknown field 'room' for rooms");
  refused(R"({"cmd":"room","room":"r1","limit":3})",
          "unknown field 'limit' for room");
  refused(R"({"cmd":"kick","member":7,"text":"bye"})",
          "unknown field 'text' for kick");
  refused(R"({"cmd":"stats","verbose":true})", "unknown field 'verbose'");
  refused(R"({"cmd":"drain","now":1})", "unknown field 'now'");
  refused(R"({"cmd":"auth","token":"x","user":"root"})",
          "unknown field 'user'");
}

TEST(admin_parse, missing_required_fields_are_named) {
  refused(R"({"cmd":"room"})", "missing field 'room' for room");
  refused(R"({"cmd":"member"})", "missing field 'member' for member");
  refused(R"({"cmd":"kick","room":"r1"})", "missing field 'member' for kick");
  refused(R"({"cmd":"close"})", "missing field 'room' for close");
  refused(R"({"cmd":"broadcast","text":"hi"})",
          "missing field 'room' for broadcast");
  refused(R"({"cmd":"broadcast","room":"r1"})",
          "missing field 'text' for broadcast");
  refused(R"({"cmd":"loglevel"})", "missing field 'level' for loglevel");
  refused(R"({"cmd":"auth"})", "missing field 'token' for auth");
}

TEST(admin_parse, room_ids_as_in_design_2_1) {
  std::string longest(64, 'a');
  EXPECT_EQ(ok(R"({"cmd":"room","room":")" + longest + "\"}").room, longest);
  for (std::string bad : std::vector<std::string>{
         R"("")", R"("r 1")", R"("r/1")", R"("r.1")", "7", "null", R"(["r1"])",
         "\"" + std::string(65, 'a') + "\"", "\"r\xc3\xa9\""}) {
    refused(R"({"cmd":"room","room":)" + std::string{bad} + "}", "room must");
    refused(R"({"cmd":"close","room":)" + std::string{bad} + "}", "room must");
    refused(R"({"cmd":"sessions","room":)" + std::string{bad} + "}",
            "room must");
    refused(R"({"cmd":"kick","member":7,"room":)" + std::string{bad} + "}",
            "room must");
    refused(R"({"cmd":"broadcast","text":"x","room":)" + std::string{bad} + "}",
            "room must");
  }
}

TEST(admin_parse, member_is_an_integer_above_zero) {
  for (auto bad : {"0", "-1", "1.5", "7.0", "\"7\"", "true", "null",
                   "9223372036854775808", "1e3", "[7]"}) {
    refused(R"({"cmd":"member","member":)" + std::string{bad} + "}",
            "member must be an integer");
    refused(R"({"cmd":"kick","member":)" + std::string{bad} + "}",
            "member must be an integer");
    refused(R"({"cmd":"sessions","member":)" + std::string{bad} + "}",
            "member must be an integer");
  }
}

TEST(admin_parse, sort_limit_node_level_out_of_their_sets) {
  for (auto bad : {R"("name")", R"("")", R"("MEMBERS")", "1", "null"})
    refused(R"({"cmd":"rooms","sort":)" + std::string{bad} + "}",
            "sort must be one of members, rate, mailbox");
  for (auto bad : {"0", "-1", "10001", "2.5", "\"10\"", "true", "null",
                   "18446744073709551615"}) {
    refused(R"({"cmd":"rooms","limit":)" + std::string{bad} + "}",
            "limit must be an integer from 1 to 10000");
    refused(R"({"cmd":"sessions","limit":)" + std::string{bad} + "}",
            "limit must be an integer from 1 to 10000");
  }
  for (std::string bad :
       std::vector<std::string>{R"("")", R"("node a")", R"("n/1")", "1",
                                "\"" + std::string(65, 'n') + "\""})
    refused(R"({"cmd":"rooms","node":)" + std::string{bad} + "}",
            "node must be a node id");
  for (auto bad : {R"("warn")", R"("INFO")", R"("off")", R"("")", "2"})
    refused(R"({"cmd":"loglevel","level":)" + std::string{bad} + "}",
            "level must be one of trace, debug, info, warning, error");
}

TEST(admin_parse, broadcast_text_is_non_empty_utf8_within_the_limit) {
  refused(R"({"cmd":"broadcast","room":"r1","text":""})",
          "text must not be empty");
  refused(R"({"cmd":"broadcast","room":"r1","text":7})",
          "text must be a string");
  refused(R"({"cmd":"broadcast","room":"r1","text":null})",
          "text must be a string");
  // An escaped lone surrogate is not text (the JSON parser says so).
  refused(R"({"cmd":"broadcast","room":"r1","text":"\ud800"})", "not JSON");
  admin_parse_limits small{5};
  auto five = parse_admin_request(
    "{\"cmd\":\"broadcast\",\"room\":\"r1\",\"text\":\"\xc3\xa9\xc3\xa9\xc3"
    "\xa9\xc3\xa9\xc3\xa9\"}",
    small);
  EXPECT_TRUE(five.ok()) << "five characters, ten bytes: " << five.message;
  auto six = parse_admin_request(
    R"({"cmd":"broadcast","room":"r1","text":"abcdef"})", small);
  EXPECT_EQ(six.error, "ADMIN_BAD_REQUEST");
  EXPECT_NE(six.message.find("text must be at most 5 characters"),
            std::string::npos)
    << six.message;
  refused(R"({"cmd":"auth","token":7})", "token must be a string");
}

TEST(admin_parse, the_cmd_is_kept_for_the_answer_of_a_bad_request) {
  auto r = parse_admin_request(R"({"cmd":"room","room":"bad id"})");
  EXPECT_EQ(r.cmd, "room");
  EXPECT_EQ(parse_admin_request("nope").cmd, "");
}
