// h2h-admin against a live h2hd with clients connected: as a script uses it
// (-c, --json) and as a person drives it at a terminal (a pseudo-terminal):
// rooms, one room's figures after a known number of messages, Tab
// completion of a live room id, kick, broadcast (delivered and in history),
// and an unknown command that leaves the REPL running.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "accounts.hpp"
#include "process.hpp"
#include "pty_session.hpp"
#include "ws_client.hpp"

namespace {

using namespace std::chrono_literals;
using h2h::test::member;
using h2h::test::pty_session;
using h2h::test::run_program;
using h2h::test::server_process;
using h2h::test::temp_dir;
using h2h::test::ws_client;
using nlohmann::json;
namespace keys = h2h::test::keys;
using strings = std::vector<std::string>;

/// A signed-up member connected over raw JSON and inside `room`.
struct chatter {
  member who;
  std::unique_ptr<ws_client> ws;
};

bool entered(ws_client& c, const std::string& room, const std::string& name) {
  return c.send_json(h2h::test::enter_frame(room, name))
         && c.recv_where(
           [&](const json& j) {
             return j.value("type", "") == "ENTER"
                    && j.value("roomId", "") == room
                    && j.value("sender", "") == name;
           },
           5s);
}

class AdminLive : public ::testing::Test {
protected:
  AdminLive()
    : srv{H2HD_PATH, h2h::test::with_accounts(h2h::test::local_args(
                       dir, {"--auth.require_email_verification", "false"}))} {
  }

  chatter join(const std::string& nickname, const std::string& room) {
    chatter c;
    c.who = h2h::test::sign_up_unverified(srv.port(), nickname);
    c.ws = std::make_unique<ws_client>(
      srv.port(), h2h::test::with_header_token(c.who.access_token));
    EXPECT_TRUE(entered(*c.ws, room, c.who.nickname));
    return c;
  }

  /// Sends `n` messages from `c` to `room` and waits for each ACK.
  void say(chatter& c, const std::string& room, int n) {
    for (int i = 0; i < n; ++i) {
      auto id = "m" + std::to_string(i);
      ASSERT_TRUE(c.ws->send_json(
        h2h::test::message_frame(room, c.who.nickname, "hello " + id, id)));
      ASSERT_TRUE(c.ws->recv_where(
        [&](const json& j) {
          return j.value("type", "") == "ACK"
                 && j.value("clientMsgId", "") == id;
        },
        5s));
    }
  }

  /// `h2h-admin -c command` (and `more` flags) against the node.
  h2h::test::program_result admin(const std::string& command,
                                  strings more = {}) {
    strings args{"--port", std::to_string(srv.admin_port()), "-c", command};
    args.insert(args.end(), more.begin(), more.end());
    return run_program(H2H_ADMIN_PATH, args, {}, {{"HOME", dir.path()}}, 20s);
  }

  json admin_json(const std::string& command) {
    auto r = admin(command, {"--json"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  temp_dir dir;
  server_process srv;
};

TEST_F(AdminLive, ReportsMadeOverRestAreListedAndFilteredByTarget) {
  auto alice = join("alice", "lobby");
  auto bob = join("bob", "lobby");
  auto carol = join("carol", "lobby");
  say(bob, "lobby", 2);
  auto report = [&](const chatter& from, const chatter& about,
                    const std::string& reason) {
    auto r = h2h::test::rest(srv.port(), "POST", "/member/report",
                             json{{"member_id", from.who.id},
                                  {"target_id", about.who.id},
                                  {"reason", reason}},
                             from.who.access_token);
    EXPECT_EQ(r.status, 200) << r.raw;
  };
  report(alice, bob, "spam");
  report(bob, carol, "rude");

  auto all = admin_json("reports");
  ASSERT_TRUE(all.value("ok", false)) << all.dump();
  const auto& list = all["result"]["reports"];
  ASSERT_EQ(list.size(), 2u) << all.dump();
  EXPECT_EQ(list[0]["target_id"], carol.who.id); // newest first
  EXPECT_EQ(list[1]["target_id"], bob.who.id);
  EXPECT_EQ(list[1]["reporter_id"], alice.who.id);
  EXPECT_EQ(list[1]["reason"], "spam");
  ASSERT_EQ(list[1]["context"].size(), 2u) << list[1].dump();
  EXPECT_EQ(list[1]["context"][0]["message"], "hello m1");

  auto about_bob = admin_json("reports --target " + std::to_string(bob.who.id));
  ASSERT_EQ(about_bob["result"]["reports"].size(), 1u) << about_bob.dump();
  EXPECT_EQ(about_bob["result"]["reports"][0]["reason"], "spam");

  auto text = admin("reports --target " + std::to_string(bob.who.id));
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("spam"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("bob: hello m1"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("rude"), std::string::npos) << text.out;
  EXPECT_EQ(admin("reports --limit 1", {"--json"}).out.find("spam"),
            std::string::npos);
}

TEST_F(AdminLive, ScriptsSeeRoomsAndARoomsFiguresAfterKnownMessages) {
  auto alice = join("alice", "lobby");
  auto bob = join("bob", "lobby");
  auto carol = join("carol", "garden");
  say(alice, "lobby", 3);

  auto rooms = admin("rooms");
  EXPECT_EQ(rooms.status, 0) << rooms.err;
  EXPECT_NE(rooms.out.find("lobby"), std::string::npos) << rooms.out;
  EXPECT_NE(rooms.out.find("garden"), std::string::npos) << rooms.out;

  // Two ENTER notices and three messages: seq 5; two members, both online.
  auto room = admin_json("room lobby");
  ASSERT_TRUE(room.value("ok", false)) << room.dump();
  const auto& r = room["result"]["room"];
  EXPECT_EQ(r.value("seq", 0), 5) << r.dump();
  EXPECT_EQ(r.value("members_online", 0), 2) << r.dump();
  EXPECT_EQ(r.value("members_total", 0), 2) << r.dump();
  EXPECT_EQ(r["subscribers"].value("raw", 0), 2) << r.dump();

  auto who = admin_json("member " + std::to_string(carol.who.id));
  ASSERT_TRUE(who.value("ok", false)) << who.dump();
  EXPECT_EQ(who["result"]["rooms"], json::array({"garden"})) << who.dump();

  auto unknown = admin("room nowhere");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.out.find("ADMIN_NOT_FOUND"), std::string::npos)
    << unknown.out;
}

TEST_F(AdminLive, BroadcastReachesTheRoomAndIsInHistory) {
  auto alice = join("alice", "lobby");
  auto b = admin_json("broadcast lobby \"the server restarts at noon\"");
  ASSERT_TRUE(b.value("ok", false)) << b.dump();
  auto seq = b["result"].value("seq", 0);
  EXPECT_EQ(seq, 2); // after alice's ENTER notice
  auto got = alice.ws->recv_where(
    [](const json& j) {
      return j.value("type", "") == "MESSAGE"
             && j.value("message", "") == "the server restarts at noon";
    },
    5s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value("sender", ""), "system");
  EXPECT_EQ(got->value("seq", 0), seq);
  auto history
    = h2h::test::rest(srv.port(), "GET", "/messages/room/lobby?limit=10",
                      std::nullopt, alice.who.access_token);
  ASSERT_EQ(history.status, 200) << history.raw;
  EXPECT_NE(history.raw.find("the server restarts at noon"), std::string::npos)
    << history.raw;
}

TEST_F(AdminLive, APersonAtTheReplListsCompletesKicksAndGoesOnAfterErrors) {
  auto alice = join("alice", "lobby-of-the-day");
  auto bob = join("bob", "lobby-of-the-day");
  say(alice, "lobby-of-the-day", 2);

  auto port = std::to_string(srv.admin_port());
  pty_session s{H2H_ADMIN_PATH, {"--port", port}, {{"HOME", dir.path()}}};
  const std::string prompt = "h2h 127.0.0.1:" + port + "> ";
  ASSERT_TRUE(s.wait_for(prompt)) << s.screen();

  s.type_line("rooms");
  ASSERT_TRUE(s.wait_for("lobby-of-the-day")) << s.screen();
  ASSERT_TRUE(s.wait_for(prompt)) << s.screen();

  // Tab completes the live room id; the answer is that room's figures.
  s.send("room lobby-o");
  s.send(keys::tab);
  s.send(keys::enter);
  ASSERT_TRUE(s.wait_for("id:")) << s.screen();
  ASSERT_TRUE(s.wait_for("lobby-of-the-day")) << s.screen();
  ASSERT_TRUE(s.wait_for("seq:")) << s.screen();
  ASSERT_TRUE(s.wait_for("4")) << s.screen(); // 2 ENTERs + 2 messages
  ASSERT_TRUE(s.wait_for(prompt)) << s.screen();

  s.type_line("frobnicate now");
  ASSERT_TRUE(s.wait_for("unknown command")) << s.screen();
  ASSERT_TRUE(s.wait_for(prompt)) << s.screen();

  // A broadcast typed at the prompt reaches the room and is in history.
  s.type_line("broadcast lobby-of-the-day back in five minutes");
  ASSERT_TRUE(s.wait_for("seq 5")) << s.screen();
  ASSERT_TRUE(s.wait_for(prompt)) << s.screen();
  auto heard = alice.ws->recv_where(
    [](const json& j) {
      return j.value("message", "") == "back in five minutes"
             && j.value("sender", "") == "system";
    },
    5s);
  EXPECT_TRUE(heard) << "the broadcast did not reach alice";
  auto history = h2h::test::rest(srv.port(), "GET",
                                 "/messages/room/lobby-of-the-day?limit=10",
                                 std::nullopt, alice.who.access_token);
  EXPECT_NE(history.raw.find("back in five minutes"), std::string::npos)
    << history.raw;

  s.type_line("kick " + std::to_string(bob.who.id));
  ASSERT_TRUE(s.wait_for(prompt)) << s.screen();
  auto code = bob.ws->wait_closed(5s);
  ASSERT_TRUE(code) << s.screen();
  EXPECT_EQ(*code, 1008);
  // Alice stays.
  EXPECT_FALSE(alice.ws->closed());

  // Ctrl-D leaves; one command failed, so the status says so.
  s.send(keys::ctrl_d);
  EXPECT_EQ(s.wait_exit(), 1);
}

} // namespace
