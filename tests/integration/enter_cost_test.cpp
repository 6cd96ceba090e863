// Integration: what an ENTER costs, against a real h2hd — rooms per
// connection, rooms created per member, the owner of a room created by
// ENTER, creation switched off, and GET /chat/rooms in pages.
#include <gtest/gtest.h>

#include "accounts.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> base_args(const temp_dir& dir) {
  return with_accounts(
    local_args(dir, {"--log-level", "info", "--auth.require_email_verification",
                     "false"}));
}

/// The next ENTER notice of `room` or ERROR frame (bounded; throws on
/// timeout): what an ENTER is answered with.
json answer_to_enter(ws_client& c, const std::string& room) {
  for (;;) {
    auto j = c.recv_json(5000ms);
    if (j.value("type", "") == "ERROR"
        || (j.value("type", "") == "ENTER" && j.value("roomId", "") == room))
      return j;
  }
}

} // namespace

TEST(enter_cost, rooms_per_connection_creations_per_member_and_owners) {
  temp_dir dir;
  auto args = base_args(dir);
  args.insert(args.end(), {"--limits.rooms_per_session", "2",
                           "--limits.rooms_created_per_hour", "2"});
  server_process srv{H2HD_PATH, args};
  auto alice = sign_up_unverified(srv.port(), "alice");
  auto bob = sign_up_unverified(srv.port(), "bob");
  ws_client a{srv.port(), with_query_token(alice.access_token)};
  auto enter = [&](const std::string& room) {
    EXPECT_TRUE(a.send_json(json{{"type", "ENTER"}, {"roomId", room}}));
    return answer_to_enter(a, room);
  };
  EXPECT_EQ(enter("a1")["type"], "ENTER");
  EXPECT_EQ(enter("a2")["type"], "ENTER");
  // A third room on this connection: refused until it EXITs one.
  auto third = enter("a3");
  EXPECT_EQ(third["code"], "CHAT_004") << third.dump();
  ASSERT_TRUE(a.send_json(json{{"type", "EXIT"}, {"roomId", "a1"}}));
  // Alice created two rooms this hour: a third creation is refused...
  auto limited = enter("a3");
  EXPECT_EQ(limited["code"], "GLOBAL_429") << limited.dump();
  // ...but entering a room that exists is no creation.
  EXPECT_EQ(enter("a1")["type"], "ENTER");
  // The rooms alice created by ENTER are hers: bob may not delete them.
  auto a1 = rest(srv.port(), "GET", "/chat/room/a1", {}, bob.access_token);
  ASSERT_EQ(a1.status, 200) << a1.raw;
  EXPECT_EQ(a1.body["ownerId"], alice.id);
  EXPECT_EQ(
    rest(srv.port(), "DELETE", "/chat/room/a2", {}, bob.access_token).status,
    403);
  EXPECT_EQ(
    rest(srv.port(), "DELETE", "/chat/room/a2", {}, alice.access_token).status,
    204);
  // GET /chat/rooms pages: a1 is the only room left.
  auto list = rest(srv.port(), "GET", "/chat/rooms?page=0&size=1", {},
                   bob.access_token);
  ASSERT_EQ(list.status, 200) << list.raw;
  ASSERT_EQ(list.body.size(), 1u) << list.raw;
  EXPECT_EQ(list.body[0]["roomId"], "a1");
  EXPECT_EQ(
    rest(srv.port(), "GET", "/chat/rooms?size=1000", {}, bob.access_token)
      .body["code"],
    "GLOBAL_002");
}

TEST(enter_cost, with_create_on_enter_off_unknown_rooms_are_refused) {
  temp_dir dir;
  auto args = base_args(dir);
  args.insert(args.end(),
              {"--rooms.create_on_enter", "false", "--auth.required", "false"});
  server_process srv{H2HD_PATH, args};
  auto alice = sign_up_unverified(srv.port(), "alice");
  auto made = rest(srv.port(), "POST", "/chat/room", json{{"name", "Lobby"}},
                   alice.access_token);
  ASSERT_EQ(made.status, 201) << made.raw;
  auto lobby = made.body["roomId"].get<std::string>();
  ws_client c{srv.port()};
  ASSERT_TRUE(c.send_json(enter_frame("nowhere", "carol")));
  auto refused = answer_to_enter(c, "nowhere");
  EXPECT_EQ(refused["code"], "CHAT_001") << refused.dump();
  ASSERT_TRUE(c.send_json(enter_frame(lobby, "carol")));
  EXPECT_EQ(answer_to_enter(c, lobby)["type"], "ENTER");
  EXPECT_EQ(rest(srv.port(), "GET", "/chat/room/nowhere").status, 404);
}
