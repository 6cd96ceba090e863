// Integration: the HTTP send (POST /chat/room/{roomId}/message) against a
// real h2hd: 201 once durable, idempotent by clientMsgId, fanned out to the
// room's live members, and the same refusals as /message.
#include <gtest/gtest.h>

#include <thread>

#include "accounts.hpp"
#include "process.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> send_args(const temp_dir& dir,
                                   std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--auth.require_email_verification", "false"};
  args.insert(args.end(), more.begin(), more.end());
  return with_accounts(local_args(dir, args));
}

rest_result send(std::uint16_t port, const std::string& room, const json& body,
                 const std::string& token) {
  return rest(port, "POST", "/chat/room/" + room + "/message", body, token);
}

std::string public_room(std::uint16_t port, const member& owner) {
  auto r = rest(port, "POST", "/chat/room", json{{"name", "open"}},
                owner.access_token);
  EXPECT_EQ(r.status, 201) << r.raw;
  return r.body.value("roomId", "");
}

/// The MESSAGE events of the room's history, oldest first.
std::vector<json> history(std::uint16_t port, const std::string& room,
                          const std::string& token) {
  auto r
    = rest(port, "GET", "/messages/room/" + room + "?limit=100", {}, token);
  EXPECT_EQ(r.status, 200) << r.raw;
  std::vector<json> out;
  for (auto& m : r.body["messages"])
    if (m["type"] == "MESSAGE")
      out.insert(out.begin(), m);
  return out;
}

} // namespace

TEST(http_send, answers_201_once_durable_and_a_member_receives_it) {
  temp_dir dir;
  server_process srv{H2HD_PATH, send_args(dir)};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto b = sign_up_unverified(srv.port(), "bob");
  auto room = public_room(srv.port(), a);
  ws_client alice{srv.port(), with_header_token(a.access_token)};
  ASSERT_TRUE(alice.send_json(enter_frame(room, "alice")));
  ASSERT_TRUE(alice.recv_where(
    [](const json& j) { return j.value("type", "") == "ENTER"; }));

  // Bob never entered: a public room takes his message (he becomes a member).
  auto r
    = send(srv.port(), room, json{{"message", "over http"}}, b.access_token);
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["roomId"], room);
  ASSERT_TRUE(r.body["seq"].is_number_unsigned());
  ASSERT_TRUE(r.body["ts"].is_string());
  EXPECT_EQ(r.body.size(), 3u) << r.raw;
  auto seq = r.body["seq"].get<std::uint64_t>();

  auto got = alice.recv_where(
    [](const json& j) { return j.value("type", "") == "MESSAGE"; });
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["message"], "over http");
  EXPECT_EQ((*got)["sender"], "bob");
  EXPECT_EQ((*got)["senderId"], b.id);
  EXPECT_EQ((*got)["seq"], seq);
  EXPECT_EQ((*got)["ts"], r.body["ts"]);

  auto stored = history(srv.port(), room, a.access_token);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["seq"], seq);
  EXPECT_EQ(stored[0]["message"], "over http");
  // The send made bob a member of the room (recorded apart from the
  // message: waited for, bounded).
  bool member = false;
  for (int i = 0; i < 100 && !member; ++i) {
    auto info
      = rest(srv.port(), "GET", "/chat/room/" + room, {}, a.access_token);
    for (auto& id : info.body["members"])
      member = member || id == b.id;
    if (!member)
      std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(member);
}

TEST(http_send, a_repeated_client_msg_id_is_stored_once_with_the_same_seq) {
  temp_dir dir;
  server_process srv{H2HD_PATH, send_args(dir)};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto room = public_room(srv.port(), a);
  ws_client alice{srv.port(), with_header_token(a.access_token)};
  ASSERT_TRUE(alice.send_json(enter_frame(room, "alice")));
  ASSERT_TRUE(alice.recv_where(
    [](const json& j) { return j.value("type", "") == "ENTER"; }));
  json body{{"message", "once"}, {"clientMsgId", "h-1"}};
  auto first = send(srv.port(), room, body, a.access_token);
  ASSERT_EQ(first.status, 201) << first.raw;
  auto again = send(srv.port(), room, body, a.access_token);
  ASSERT_EQ(again.status, 201) << again.raw;
  EXPECT_EQ(again.body["seq"], first.body["seq"]);
  EXPECT_EQ(again.body["ts"], first.body["ts"]);
  // The same id over the WebSocket is the same message too.
  ASSERT_TRUE(alice.send_json(message_frame(room, "alice", "once", "h-1")));
  auto ack = alice.recv_where(
    [](const json& j) { return j.value("type", "") == "ACK"; });
  ASSERT_TRUE(ack);
  EXPECT_EQ((*ack)["seq"], first.body["seq"]);
  auto stored = history(srv.port(), room, a.access_token);
  ASSERT_EQ(stored.size(), 1u);
  // A restarted server still knows it (the store's unique key).
  srv.stop();
  server_process again_srv{H2HD_PATH, send_args(dir)};
  auto a2 = log_in(again_srv.port(), a.email);
  auto third = send(again_srv.port(), room, body, a2.access_token);
  ASSERT_EQ(third.status, 201) << third.raw;
  EXPECT_EQ(third.body["seq"], first.body["seq"]);
  EXPECT_EQ(history(again_srv.port(), room, a2.access_token).size(), 1u);
}

TEST(http_send, refuses_like_the_websocket_paths) {
  temp_dir dir;
  server_process srv{H2HD_PATH, send_args(dir)};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto b = sign_up_unverified(srv.port(), "bob");
  auto room = public_room(srv.port(), a);
  auto code = [](const rest_result& r) { return r.body.value("code", ""); };

  auto anon = send(srv.port(), room, json{{"message", "x"}}, "");
  EXPECT_EQ(anon.status, 400);
  EXPECT_EQ(code(anon), "GLOBAL_103");
  auto forged = send(srv.port(), room, json{{"message", "x"}}, "a.b.c");
  EXPECT_EQ(forged.status, 400);
  EXPECT_EQ(code(forged), "GLOBAL_103");

  auto unknown = send(srv.port(), "nobody-made-this", json{{"message", "x"}},
                      a.access_token);
  EXPECT_EQ(unknown.status, 404) << unknown.raw;
  EXPECT_EQ(code(unknown), "CHAT_001");
  // ... and it was not created by the attempt.
  EXPECT_EQ(rest(srv.port(), "GET", "/messages/room/nobody-made-this", {},
                 a.access_token)
              .status,
            404);

  auto secret
    = rest(srv.port(), "POST", "/chat/room",
           json{{"name", "secret"}, {"private", true}}, a.access_token);
  ASSERT_EQ(secret.status, 201);
  std::string secret_id = secret.body["roomId"];
  auto stranger
    = send(srv.port(), secret_id, json{{"message", "x"}}, b.access_token);
  EXPECT_EQ(stranger.status, 403) << stranger.raw;
  EXPECT_EQ(code(stranger), "CHAT_002");
  EXPECT_EQ(
    send(srv.port(), secret_id, json{{"message", "x"}}, a.access_token).status,
    201);

  auto too_long
    = send(srv.port(), room, json{{"message", std::string(4001, 'x')}},
           a.access_token);
  EXPECT_EQ(too_long.status, 413);
  EXPECT_EQ(code(too_long), "CHAT_005");
  auto missing = send(srv.port(), room, json{{"text", "x"}}, a.access_token);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(code(missing), "CHAT_004");
  auto bad_id
    = send(srv.port(), room, json{{"message", "x"}, {"clientMsgId", 5}},
           a.access_token);
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(code(bad_id), "CHAT_004");
  auto bad_room
    = send(srv.port(), "no%20spaces", json{{"message", "x"}}, a.access_token);
  EXPECT_EQ(bad_room.status, 400);
  EXPECT_EQ(code(bad_room), "GLOBAL_002");
  auto raw = http_request(srv.port(), "POST", "/chat/room/" + room + "/message",
                          "{not json",
                          {{"Authorization", "Bearer " + a.access_token},
                           {"Content-Type", "application/json"}});
  EXPECT_EQ(raw.status, 400);
  EXPECT_EQ(json::parse(raw.body).value("code", ""), "GLOBAL_004");
}

TEST(http_send, is_rate_limited_per_member) {
  temp_dir dir;
  server_process srv{H2HD_PATH,
                     send_args(dir, {"--limits.messages_per_second", "1",
                                     "--limits.message_burst", "3"})};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto room = public_room(srv.port(), a);
  int created = 0, limited = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = send(srv.port(), room, json{{"message", "m"}}, a.access_token);
    if (r.status == 201)
      ++created;
    else if (r.status == 429 && r.body.value("code", "") == "GLOBAL_429")
      ++limited;
  }
  EXPECT_EQ(created, 3);
  EXPECT_EQ(limited, 3);
}
