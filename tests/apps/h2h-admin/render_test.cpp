// h2h-admin's rendering of answers: tables, key/value lists, one-liners,
// errors, nodes that did not answer, and --json as the line came.
#include <gtest/gtest.h>

#include "h2h-admin/render.hpp"

namespace {

using h2h::admin::render_answer;

constexpr std::int64_t now = 1'800'000'000'000;

std::string text_of(const std::string& answer) {
  auto r = render_answer(answer, false, now);
  EXPECT_TRUE(r.ok) << answer;
  return r.text;
}

TEST(AdminRender, NodesIsATable) {
  auto t = text_of(
    R"({"ok":true,"cmd":"nodes","result":{"nodes":[)"
    R"({"id":"n1","address":"10.0.0.1:4242","started_ms":1,"uptime_s":3725,"rooms":12,"sessions":340},)"
    R"({"id":"node-two","address":"10.0.0.2:4242","started_ms":1,"uptime_s":59,"rooms":3,"sessions":7}]}})");
  EXPECT_EQ(t, "ID        ADDRESS        UPTIME  ROOMS  SESSIONS\n"
               "n1        10.0.0.1:4242  1h 2m      12       340\n"
               "node-two  10.0.0.2:4242  59s         3         7\n");
}

TEST(AdminRender, ReportsAreATableThenTheirMessages) {
  auto t = text_of(
    R"({"ok":true,"cmd":"reports","result":{"reports":[)"
    R"({"id":12,"reporter_id":3,"target_id":7,"reason":"spam\u001b[2J",)"
    R"("created_ms":1799999940000,"context":[)"
    R"({"roomId":"r1","seq":5,"sender":"bob","message":"buy now","ts_ms":1}]},)"
    R"({"id":9,"reporter_id":4,"target_id":7,"reason":"",)"
    R"("created_ms":1799999990000,"context":[]}]}})");
  EXPECT_EQ(t, "ID  TARGET  REPORTER  MADE       MESSAGES  REASON\n"
               "12       7         3  1m 0s ago         1  spam?[2J\n"
               " 9       7         4  10s ago           0  \n"
               "report 12:\n"
               "  r1 #5 bob: buy now\n");
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"reports","result":{"reports":[]}})"),
            "(no reports)\n");
}

TEST(AdminRender, RoomsIsATable) {
  auto t = text_of(
    R"({"ok":true,"cmd":"rooms","result":{"rooms":[)"
    R"({"id":"lobby","node":"n1","owner":"n1","relay":false,"seq":42,"members_total":5,"members_online":2,)"
    R"("subscribers":{"raw":2},"mailbox":0,"rate":1.5,"persistence_lag":0,"last_activity_ms":1799999988000}]}})");
  EXPECT_EQ(t, "ID     OWNER  SEQ  MEMBERS  ONLINE  MAILBOX  MSG/S  LAG  "
               "LAST ACTIVITY\n"
               "lobby  n1      42        5       2        0   1.50    0  "
               "12s ago\n");
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"rooms","result":{"rooms":[]}})"),
            "(no rooms)\n");
}

TEST(AdminRender, RoomIsKeyValue) {
  auto t = text_of(
    R"({"ok":true,"cmd":"room","result":{"room":{"id":"r1","node":"n2","owner":"n1","relay":true,)"
    R"("seq":7,"members_total":3,"members_online":1,"subscribers":{"raw":1,"stomp":2,"node:n2":1},)"
    R"("mailbox":4,"rate":0.25,"persistence_lag":2,"last_activity_ms":0}}})");
  EXPECT_EQ(t, "id:              r1\n"
               "owner:           n1\n"
               "answered by:     n2 (a relay)\n"
               "seq:             7\n"
               "members:         3 total, 1 online\n"
               "subscribers:     raw 1, stomp 2, node:n2 1\n"
               "mailbox:         4\n"
               "rate:            0.25 msg/s (last minute)\n"
               "persistence lag: 2\n"
               "last activity:   -\n");
}

TEST(AdminRender, SessionsAndMember) {
  std::string session
    = R"({"node":"n1","id":"s-9","member_id":7,"name":"alice","protocol":"stomp","rooms":["r1","r2"],"connected_ms":1799999700000})";
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"sessions","result":{"sessions":[)"
                    + session + "]}}"),
            "NODE  SESSION  MEMBER  NAME   PROTOCOL  ROOMS  CONNECTED\n"
            "n1    s-9           7  alice  stomp     r1,r2  5m 0s ago\n");
  EXPECT_EQ(
    text_of(R"({"ok":true,"cmd":"member","result":{"member":7,"sessions":[)"
            + session + R"(],"rooms":["r1","r2"]}})"),
    "member: 7\n"
    "rooms:  r1,r2\n"
    "NODE  SESSION  MEMBER  NAME   PROTOCOL  ROOMS  CONNECTED\n"
    "n1    s-9           7  alice  stomp     r1,r2  5m 0s ago\n");
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"sessions","result":{"sessions":[]}})"),
            "(no sessions)\n");
}

TEST(AdminRender, StatsKeepsTheNodesOrder) {
  EXPECT_EQ(
    text_of(
      R"({"ok":true,"cmd":"stats","result":{"node":"n1","counters":{"sessions":4,"messages_in":1200,"a":0}}})"),
    "node:        n1\n"
    "sessions:    4\n"
    "messages_in: 1200\n"
    "a:           0\n");
}

TEST(AdminRender, ActionsAreOneLine) {
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"kick","result":{"kicked":2}})"),
            "kicked 2 sessions\n");
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"kick","result":{"kicked":1}})"),
            "kicked 1 session\n");
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"close","result":{"closed":true}})"),
            "room closed\n");
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"broadcast","result":{"seq":43}})"),
            "broadcast stored as seq 43\n");
  EXPECT_EQ(
    text_of(R"({"ok":true,"cmd":"loglevel","result":{"level":"debug"}})"),
    "log level is now debug\n");
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"drain","result":{"draining":true}})"),
            "draining: the node stops accepting clients and leaves\n");
}

TEST(AdminRender, ErrorsShowCodeAndMessage) {
  auto r = render_answer(
    R"({"ok":false,"cmd":"room","error":{"code":"ADMIN_NOT_FOUND","message":"no room r9"}})",
    false, now);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text, "(error) ADMIN_NOT_FOUND no room r9\n");
}

TEST(AdminRender, NodesThatDidNotAnswerAreNamed) {
  auto t = text_of(
    R"({"ok":true,"cmd":"rooms","result":{"rooms":[]},"unanswered":["n2","n3"]})");
  EXPECT_EQ(t, "(no rooms)\nnode n2 did not answer\nnode n3 did not answer\n");
  auto e = render_answer(
    R"({"ok":false,"cmd":"room","error":{"code":"ADMIN_TIMEOUT","message":"no answer"},"unanswered":["n2"]})",
    false, now);
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.text,
            "(error) ADMIN_TIMEOUT no answer\nnode n2 did not answer\n");
}

TEST(AdminRender, JsonIsTheLineAsItCame) {
  std::string line
    = R"({"ok":true,"cmd":"rooms","result":{"rooms":[{"id":"r1"}]},"unanswered":["n2"]})";
  auto r = render_answer(line + "\n", true, now);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.text, line + "\n");
  std::string err
    = R"({"ok":false,"cmd":"kick","error":{"code":"ADMIN_NOT_FOUND","message":"x"}})";
  auto e = render_answer(err, true, now);
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.text, err + "\n");
}

TEST(AdminRender, AnAnswerThatIsNotJsonFails) {
  for (bool json : {false, true}) {
    auto r = render_answer("ERR not json", json, now);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.text, "(error) the node's answer is not a JSON object: ERR "
                      "not json\n");
  }
  EXPECT_FALSE(render_answer("[1,2]", false, now).ok);
  EXPECT_FALSE(render_answer(R"({"cmd":"rooms"})", false, now).ok);
}

TEST(AdminRender, MissingOrOddFieldsShowAsDash) {
  auto t = text_of(
    R"({"ok":true,"cmd":"rooms","result":{"rooms":[{"id":"r1","seq":"x"},17]}})");
  EXPECT_NE(t.find("r1"), std::string::npos);
  EXPECT_NE(t.find("-"), std::string::npos);
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"room","result":{}})"),
            "(no room in the answer)\n");
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"nodes"})"), "(no nodes)\n");
}

TEST(AdminRender, UnknownResultsAreListedField_by_field) {
  EXPECT_EQ(
    text_of(R"({"ok":true,"cmd":"future","result":{"x":1,"name":"y"}})"),
    "x:    1\nname: y\n");
  EXPECT_EQ(text_of(R"({"ok":true,"cmd":"auth"})"), "authenticated\n");
}

TEST(AdminRender, TerminalControlCharactersFromClientsAreDefused) {
  auto t = text_of(
    R"({"ok":true,"cmd":"sessions","result":{"sessions":[{"name":"evil\u001b[2Jname","rooms":[]}]}})");
  EXPECT_EQ(t.find('\x1b'), std::string::npos);
  EXPECT_NE(t.find("evil?[2Jname"), std::string::npos);
}

TEST(AdminRender, Durations) {
  using h2h::admin::format_duration;
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(59), "59s");
  EXPECT_EQ(format_duration(61), "1m 1s");
  EXPECT_EQ(format_duration(3600), "1h 0m");
  EXPECT_EQ(format_duration(90061), "1d 1h");
  EXPECT_EQ(format_duration(-5), "0s");
}

} // namespace
