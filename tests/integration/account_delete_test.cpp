// Account deletion end to end on a real h2hd: a member with an open
// WebSocket deletes the account; its socket is closed, login is refused,
// the email signs up again, and history (REST and a replay from the
// running room) shows "deleted member" without the id.
#include <gtest/gtest.h>

#include "accounts.hpp"
#include "process.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

bool entered(ws_client& c, const std::string& room, const std::string& name,
             std::int64_t last_seq = -1) {
  return c.send_json(enter_frame(room, name, last_seq))
         && c.recv_where(
           [&](const json& j) {
             return j.value("type", "") == "ENTER"
                    && j.value("roomId", "") == room
                    && j.value("sender", "") == name;
           },
           5s);
}

/// Sends `text` and returns its seq (0 when no ACK came).
std::uint64_t say(ws_client& c, const std::string& room,
                  const std::string& name, const std::string& text) {
  auto id = "c-" + text;
  if (!c.send_json(message_frame(room, name, text, id)))
    return 0;
  auto ack = c.recv_where(
    [&](const json& j) {
      return j.value("type", "") == "ACK" && j.value("clientMsgId", "") == id;
    },
    5s);
  return ack ? (*ack)["seq"].get<std::uint64_t>() : 0;
}

} // namespace

TEST(account_delete, the_socket_closes_and_history_shows_a_neutral_name) {
  temp_dir dir;
  server_process srv{H2HD_PATH,
                     with_accounts(local_args(
                       dir, {"--auth.require_email_verification", "false"}))};
  auto port = srv.port();
  auto alice = sign_up_unverified(port, "alice");
  auto bob = sign_up_unverified(port, "bob");
  ws_client a_ws{port, with_header_token(alice.access_token)};
  ws_client b_ws{port, with_header_token(bob.access_token)};
  ASSERT_TRUE(entered(a_ws, "lobby", "alice"));
  ASSERT_TRUE(entered(b_ws, "lobby", "bob"));
  auto first = say(a_ws, "lobby", "alice", "one");
  auto second = say(a_ws, "lobby", "alice", "two");
  auto bobs = say(b_ws, "lobby", "bob", "three");
  ASSERT_TRUE(first && second && bobs);

  auto del = rest(port, "DELETE", "/member/delete/" + std::to_string(alice.id),
                  std::nullopt, alice.access_token);
  ASSERT_EQ(del.status, 204) << del.raw;

  // The open socket hears why, then closes (policy): the deleting login
  // session's own sockets end as at logout (GLOBAL_103); other sessions'
  // sockets, on any node, by the kick (GLOBAL_105).
  auto err = next_error(a_ws, 3s);
  ASSERT_TRUE(err) << "an ERROR before the close";
  EXPECT_EQ((*err)["code"], "GLOBAL_103");
  EXPECT_EQ(a_ws.wait_closed(3s), std::optional<std::uint16_t>{1008});

  // Its tokens and its password no longer work; the email is free.
  EXPECT_EQ(rest(port, "GET", "/auth/verifyAccessToken", std::nullopt,
                 alice.access_token)
              .status,
            400);
  auto login = rest(port, "POST", "/auth/login",
                    json{{"email", alice.email}, {"password", test_password}});
  EXPECT_EQ(login.status, 400) << login.raw;
  EXPECT_EQ(login.body.value("code", ""), "AUTH_005");
  auto again = sign_up_unverified(port, "alice");
  EXPECT_NE(again.id, alice.id);

  // REST history: the old messages stay, under the neutral name, no id.
  auto history = rest(port, "GET", "/messages/room/lobby?page=0&size=50",
                      std::nullopt, bob.access_token);
  ASSERT_EQ(history.status, 200) << history.raw;
  int seen = 0;
  for (auto& m : history.body) {
    auto seq = m.value("seq", std::uint64_t{0});
    if (seq == first || seq == second) {
      ++seen;
      EXPECT_EQ(m["sender"], "deleted member") << m;
      EXPECT_FALSE(m.contains("senderId")) << m;
      EXPECT_FALSE(m.contains("clientMsgId")) << m;
    }
    if (seq == bobs) {
      EXPECT_EQ(m["senderId"], bob.id) << m;
    }
    EXPECT_EQ(m.dump().find("alice"), std::string::npos)
      << "the old name (also in notices) is gone: " << m;
  }
  EXPECT_EQ(seen, 2);

  // A replay from the running room's memory says the same.
  ws_client replay{port, with_header_token(bob.access_token)};
  ASSERT_TRUE(replay.send_json(enter_frame("lobby", "bob", 0)));
  int replayed = 0;
  for (;;) {
    auto j
      = replay.recv_where([](const json& x) { return x.contains("seq"); }, 5s);
    ASSERT_TRUE(j) << "the replay reached seq " << bobs;
    EXPECT_EQ(j->dump().find("alice"), std::string::npos) << *j;
    auto seq = j->value("seq", std::uint64_t{0});
    if (seq == first || seq == second) {
      ++replayed;
      EXPECT_EQ((*j)["sender"], "deleted member") << *j;
      EXPECT_FALSE(j->contains("senderId")) << *j;
    }
    if (seq >= bobs)
      break;
  }
  EXPECT_EQ(replayed, 2);
  EXPECT_EQ(srv.stop(), 0);
}
