// The admin port's wire form as pure functions (docs/admin.md): every
// command and every bad argument of a request line, and the result shape
// of every answer (compared as parsed JSON).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "net/admin/admin_json.hpp"

using h2h::admin_node;
using h2h::admin_reply;
using h2h::admin_request;
using h2h::admin_room;
using h2h::admin_session;
using h2h::net::admin_parse_limits;
using h2h::net::admin_render_context;
using h2h::net::parse_admin_request;
using h2h::net::render_admin_error;
using h2h::net::render_admin_reply;
using json = nlohmann::json;

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

json answer(const admin_request& r, const admin_reply& reply,
            std::int64_t now_ms = 1'000'000) {
  auto line = render_admin_reply(r, reply, admin_render_context{now_ms, "n1"});
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line: " << line;
  return json::parse(line);
}

admin_room sample_room() {
  admin_room r;
  r.id = "r1";
  r.node = "n1";
  r.owner = "n1";
  r.seq = 42;
  r.members_total = 5;
  r.members_online = 3;
  r.subscribers = {{"raw", 2}, {"stomp", 1}, {"node:n2", 4}};
  r.mailbox = 7;
  r.rate = 1.5;
  r.persistence_lag = 2;
  r.last_activity_ms = 999;
  return r;
}

const json sample_room_json = json::parse(R"({
  "id":"r1","node":"n1","owner":"n1","relay":false,"seq":42,
  "members_total":5,"members_online":3,
  "subscribers":{"raw":2,"stomp":1,"node:n2":4},
  "mailbox":7,"rate":1.5,"persistence_lag":2,"last_activity_ms":999})");

admin_session sample_session() {
  return admin_session{"n1", "s-9", 7, "alice", "raw", {"r1", "r2"}, 500};
}

const json sample_session_json = json::parse(R"({
  "node":"n1","id":"s-9","member_id":7,"name":"alice","protocol":"raw",
  "rooms":["r1","r2"],"connected_ms":500})");

} // namespace

// -- requests
// -------------------------------------------------------------------

TEST(admin_parse, commands_without_fields) {
  for (auto cmd : {"nodes", "stats", "drain"}) {
    auto r = ok(R"({"cmd":")" + std::string{cmd} + "\"}");
    EXPECT_EQ(r, req(cmd));
  }
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

// -- answers
// --------------------------------------------------------------------

TEST(admin_render, nodes_with_uptime_from_the_injected_clock) {
  admin_reply reply;
  reply.nodes = {admin_node{"n1", "10.0.0.1:4242", 400'000, 3, 9},
                 admin_node{"n2", "10.0.0.2:4242", 0, 0, 0}};
  EXPECT_EQ(answer(req("nodes"), reply, 1'000'999), json::parse(R"({
    "ok":true,"cmd":"nodes","result":{"nodes":[
      {"id":"n1","address":"10.0.0.1:4242","started_ms":400000,
       "uptime_s":600,"rooms":3,"sessions":9},
      {"id":"n2","address":"10.0.0.2:4242","started_ms":0,
       "uptime_s":0,"rooms":0,"sessions":0}]}})"));
}

TEST(admin_render, rooms_and_one_room_with_its_relay_views) {
  admin_reply reply;
  reply.rooms = {sample_room()};
  EXPECT_EQ(answer(req("rooms"), reply),
            (json{{"ok", true},
                  {"cmd", "rooms"},
                  {"result", {{"rooms", json::array({sample_room_json})}}}}));
  EXPECT_EQ(answer(req("rooms"), admin_reply{})["result"],
            json::parse(R"({"rooms":[]})"));
  auto relay = sample_room();
  relay.node = "n2";
  relay.relay = true;
  relay.subscribers = {{"sse", 4}};
  reply.rooms = {relay, sample_room()};
  auto relay_json = sample_room_json;
  relay_json["node"] = "n2";
  relay_json["relay"] = true;
  relay_json["subscribers"] = {{"sse", 4}};
  EXPECT_EQ(
    answer(req("room"), reply)["result"],
    (json{{"room", sample_room_json}, {"relays", json::array({relay_json})}}));
  // Nobody who answered has it: null, and who did not answer.
  admin_reply none;
  none.unanswered = {"n3"};
  auto a = answer(req("room"), none);
  EXPECT_TRUE(a["ok"].get<bool>());
  EXPECT_TRUE(a["result"]["room"].is_null());
  EXPECT_EQ(a["unanswered"], json::parse(R"(["n3"])"));
}

TEST(admin_render, a_rate_that_is_not_a_number_is_zero) {
  admin_reply reply;
  reply.rooms = {sample_room()};
  reply.rooms[0].rate = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(answer(req("rooms"), reply)["result"]["rooms"][0]["rate"], 0.0);
}

TEST(admin_render, sessions_and_member) {
  admin_reply reply;
  reply.sessions = {sample_session()};
  EXPECT_EQ(answer(req("sessions"), reply)["result"],
            (json{{"sessions", json::array({sample_session_json})}}));
  auto m = req("member");
  m.member = 7;
  auto r1 = sample_room();
  auto r2 = sample_room();
  r2.id = "r2";
  reply.rooms = {r1, r2};
  EXPECT_EQ(answer(m, reply)["result"],
            (json{{"member", 7},
                  {"sessions", json::array({sample_session_json})},
                  {"rooms", {"r1", "r2"}}}));
}

TEST(admin_render, kick_close_broadcast_loglevel_drain) {
  admin_reply reply;
  reply.count = 3;
  EXPECT_EQ(answer(req("kick"), reply)["result"],
            json::parse(R"({"kicked":3})"));
  EXPECT_EQ(answer(req("broadcast"), reply)["result"],
            json::parse(R"({"seq":3})"));
  reply.count = 1;
  EXPECT_EQ(answer(req("close"), reply)["result"],
            json::parse(R"({"closed":true})"));
  reply.count = 0;
  EXPECT_EQ(answer(req("close"), reply)["result"],
            json::parse(R"({"closed":false})"));
  auto l = req("loglevel");
  l.text = "debug";
  EXPECT_EQ(answer(l, admin_reply{}),
            json::parse(R"({"ok":true,"cmd":"loglevel",
                            "result":{"level":"debug"}})"));
  EXPECT_EQ(answer(req("drain"), admin_reply{})["result"],
            json::parse(R"({"draining":true})"));
}

TEST(admin_render, stats_names_this_node) {
  admin_reply reply;
  reply.counters = {{"connections", 12}, {"messages_in", 3400}};
  EXPECT_EQ(answer(req("stats"), reply)["result"], json::parse(R"({
    "node":"n1","counters":{"connections":12,"messages_in":3400}})"));
}

TEST(admin_render, errors_and_unanswered_nodes) {
  admin_reply err;
  err.error = "ADMIN_NOT_FOUND";
  err.message = "no room r9";
  auto r = req("room");
  r.room = "r9";
  EXPECT_EQ(answer(r, err), json::parse(R"({"ok":false,"cmd":"room",
    "error":{"code":"ADMIN_NOT_FOUND","message":"no room r9"}})"));
  err.error = "ADMIN_TIMEOUT";
  err.message = "no node answered";
  err.unanswered = {"n2", "n3"};
  EXPECT_EQ(answer(req("nodes"), err)["unanswered"],
            json::parse(R"(["n2","n3"])"));
  admin_reply partial;
  partial.nodes = {admin_node{"n1", "a:1", 0, 0, 0}};
  partial.unanswered = {"n2"};
  auto a = answer(req("nodes"), partial);
  EXPECT_TRUE(a["ok"].get<bool>());
  EXPECT_EQ(a["unanswered"], json::parse(R"(["n2"])"));
  EXPECT_FALSE(answer(req("nodes"), admin_reply{}).contains("unanswered"));
  EXPECT_EQ(
    json::parse(render_admin_error("", "ADMIN_BAD_REQUEST", "not JSON")),
    json::parse(R"({"ok":false,"cmd":"","error":{
              "code":"ADMIN_BAD_REQUEST","message":"not JSON"}})"));
}

TEST(admin_render, ill_formed_text_from_a_reply_becomes_u_fffd) {
  admin_reply reply;
  auto s = sample_session();
  s.name = "bad\xff";
  reply.sessions = {s};
  auto line = render_admin_reply(req("sessions"), reply, {});
  auto a = json::parse(line);
  EXPECT_EQ(a["result"]["sessions"][0]["name"], "bad\xef\xbf\xbd");
}

TEST(admin_render, the_answer_reads_ok_cmd_result_in_that_order) {
  auto line = render_admin_reply(req("drain"), admin_reply{}, {});
  EXPECT_EQ(line, R"({"ok":true,"cmd":"drain","result":{"draining":true}})");
}
