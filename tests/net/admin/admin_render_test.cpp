// The admin port's answer lines as a pure function (docs/admin.md): the
// result shape of every command, errors and unanswered nodes, compared as
// parsed JSON.
#include <gtest/gtest.h>

#include <limits>

#include <nlohmann/json.hpp>

#include "net/admin/admin_json.hpp"

using h2h::admin_node;
using h2h::admin_reply;
using h2h::admin_request;
using h2h::admin_room;
using h2h::admin_session;
using h2h::net::admin_render_context;
using h2h::net::render_admin_error;
using h2h::net::render_admin_reply;
using json = nlohmann::json;

namespace {

admin_request req(std::string cmd) {
  admin_request r;
  r.command = std::move(cmd);
  return r;
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

TEST(admin_render, member_rooms_default_to_those_of_its_sessions) {
  auto m = req("member");
  m.member = 7;
  admin_reply reply;
  auto other = sample_session();
  other.rooms = {"r3", "r1"};
  reply.sessions = {sample_session(), other};
  EXPECT_EQ(answer(m, reply)["result"]["rooms"],
            json::parse(R"(["r1","r2","r3"])"));
  EXPECT_EQ(answer(m, admin_reply{})["result"],
            json::parse(R"({"member":7,"sessions":[],"rooms":[]})"));
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

TEST(admin_render, reports_carry_their_context_as_json) {
  admin_reply reply;
  reply.reports.push_back(
    {12, 3, 7, "spam", 999,
     R"([{"roomId":"r1","seq":5,"sender":"bob","message":"hi","ts_ms":1}])"});
  reply.reports.push_back({9, 4, 7, "", 998, "not json"});
  EXPECT_EQ(answer(req("reports"), reply)["result"], json::parse(R"({"reports":[
    {"id":12,"reporter_id":3,"target_id":7,"reason":"spam","created_ms":999,
     "context":[{"roomId":"r1","seq":5,"sender":"bob","message":"hi","ts_ms":1}]},
    {"id":9,"reporter_id":4,"target_id":7,"reason":"","created_ms":998,
     "context":"not json"}]})"));
  EXPECT_EQ(answer(req("reports"), admin_reply{})["result"],
            json::parse(R"({"reports":[]})"));
}

TEST(admin_render, stats_names_this_node) {
  admin_reply reply;
  reply.counters = {{"connections", 12}, {"messages_in", 3400}};
  EXPECT_EQ(answer(req("stats"), reply)["result"], json::parse(R"({
    "node":"n1","counters":{"connections":12,"messages_in":3400}})"));
  // The answering node's own name, when the reply carries it.
  reply.nodes = {admin_node{"node-b", "h:1", 0, 0, 0}};
  EXPECT_EQ(answer(req("stats"), reply)["result"]["node"], "node-b");
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
