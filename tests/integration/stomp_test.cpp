// Integration: STOMP at /ws against a real h2hd on port 0 — CONNECT with a
// token, subscriptions, receipts after the message, last-seq replay, a
// /message client in the same room, heart-beats, UNSUBSCRIBE, DISCONNECT.
#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <set>
#include <thread>

#include "accounts.hpp"
#include "process.hpp"
#include "stomp_client.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> stomp_args(const temp_dir& dir,
                                    std::vector<std::string> more = {}) {
  more.insert(more.end(), {"--auth.require_email_verification", "false"});
  return with_accounts(local_args(dir, more));
}

} // namespace

TEST(stomp, connect_subscribe_two_rooms_send_with_receipt_after_the_message) {
  temp_dir dir;
  server_process srv{H2HD_PATH, stomp_args(dir)};
  auto alice = sign_up_unverified(srv.port(), "alice");
  stomp_client c{srv.port()};
  auto connected = c.connect(alice.access_token);
  EXPECT_EQ(header(connected, "version"), "1.2");
  EXPECT_EQ(header(connected, "heart-beat"), "10000,10000");
  EXPECT_EQ(header(connected, "server").rfind("h2h/", 0), 0u);
  c.subscribe("s-1", "r1", "sub-1");
  auto entered = until_receipt(c, "sub-1");
  c.subscribe("s-2", "r2", "sub-2");
  auto entered2 = until_receipt(c, "sub-2");
  // Own ENTER notices may come before or after the receipt.
  ASSERT_TRUE(c.talk("r1", "hello one", "m-1", alice.id));
  auto before = until_receipt(c, "m-1");
  std::vector<stomp::frame> all = entered;
  all.insert(all.end(), entered2.begin(), entered2.end());
  all.insert(all.end(), before.begin(), before.end());
  const stomp::frame* mine = nullptr;
  for (auto& f : all) {
    auto body = json::parse(f.body);
    if (body["type"] == "TALK")
      mine = &f;
    EXPECT_EQ(header(f, "subscription"),
              body["roomId"] == "r1" ? "s-1" : "s-2");
  }
  ASSERT_NE(mine, nullptr) << "the MESSAGE comes before its RECEIPT";
  auto body = json::parse(mine->body);
  EXPECT_EQ(header(*mine, "destination"), "/subscribe/room/r1");
  EXPECT_EQ(header(*mine, "content-type"), "application/json");
  EXPECT_EQ(header(*mine, "message-id"),
            "r1:" + std::to_string(body["seq"].get<std::uint64_t>()));
  EXPECT_EQ(header(*mine, "content-length"), std::to_string(mine->body.size()));
  EXPECT_EQ(body["message"], "hello one");
  EXPECT_EQ(body["sender"], "alice");
  EXPECT_EQ(body["senderId"], alice.id);
  EXPECT_EQ(body["roomId"], "r1");
  EXPECT_EQ(body["createdDate"].get<std::string>().size(), 24u);
  // The second room delivers under its own subscription.
  ASSERT_TRUE(c.talk("r2", "hello two", "m-2", alice.id));
  auto second = until_receipt(c, "m-2");
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(header(second.back(), "subscription"), "s-2");
  EXPECT_EQ(json::parse(second.back().body)["message"], "hello two");
}

TEST(stomp, a_bad_token_or_no_connect_gets_error_then_close) {
  temp_dir dir;
  server_process srv{H2HD_PATH, stomp_args(dir)};
  {
    stomp_client c{srv.port()};
    c.send("CONNECT", {{"accept-version", "1.2"},
                       {"Authorization", "Bearer not.a.token"}});
    auto err = c.expect("ERROR");
    EXPECT_NE(header(err, "message"), "<none>");
    EXPECT_TRUE(c.ws.wait_closed(3000ms).has_value());
  }
  {
    stomp_client c{srv.port(), ""}; // no subprotocol
    c.send("SUBSCRIBE", {{"id", "0"}, {"destination", "/subscribe/room/a"}});
    auto err = c.expect("ERROR");
    EXPECT_EQ(header(err, "message"), "CONNECT first");
    EXPECT_TRUE(c.ws.wait_closed(3000ms).has_value());
  }
}

TEST(stomp, last_seq_replays_without_gap_or_duplicate) {
  temp_dir dir;
  server_process srv{H2HD_PATH, stomp_args(dir)};
  auto alice = sign_up_unverified(srv.port(), "alice");
  std::vector<std::uint64_t> seqs;
  {
    stomp_client c{srv.port()};
    c.connect(alice.access_token);
    c.subscribe("s", "room-x", "sub");
    until_receipt(c, "sub");
    for (int i = 0; i < 4; ++i) {
      auto id = "m" + std::to_string(i);
      ASSERT_TRUE(c.talk("room-x", "text " + std::to_string(i), id, alice.id));
      for (auto& f : until_receipt(c, id))
        if (json::parse(f.body)["type"] == "TALK")
          seqs.push_back(json::parse(f.body)["seq"]);
    }
    ASSERT_TRUE(c.send("DISCONNECT", {{"receipt", "bye"}}));
    c.expect("RECEIPT");
  }
  ASSERT_EQ(seqs.size(), 4u);
  stomp_client c{srv.port()};
  c.connect(alice.access_token);
  c.subscribe("s", "room-x", "sub", static_cast<std::int64_t>(seqs[1]));
  std::vector<std::uint64_t> replayed;
  std::set<std::string> texts;
  for (auto& f : until_receipt(c, "sub")) {
    auto b = json::parse(f.body);
    replayed.push_back(b["seq"]);
    if (b["type"] == "TALK")
      texts.insert(b["message"].get<std::string>());
  }
  ASSERT_FALSE(replayed.empty());
  EXPECT_EQ(replayed.front(), seqs[1] + 1) << "no gap";
  for (std::size_t i = 1; i < replayed.size(); ++i)
    EXPECT_EQ(replayed[i], replayed[i - 1] + 1) << "no gap, no duplicate";
  EXPECT_EQ(texts, (std::set<std::string>{"text 2", "text 3"}));
}

TEST(stomp, stomp_and_message_clients_see_each_other) {
  temp_dir dir;
  server_process srv{H2HD_PATH, stomp_args(dir)};
  auto alice = sign_up_unverified(srv.port(), "alice");
  auto bob = sign_up_unverified(srv.port(), "bob");
  stomp_client s{srv.port()};
  s.connect(alice.access_token);
  s.subscribe("s", "mixed", "sub");
  until_receipt(s, "sub");
  ws_client raw{srv.port(), with_header_token(bob.access_token)};
  ASSERT_TRUE(raw.send_json({{"type", "ENTER"}, {"roomId", "mixed"}}));
  ASSERT_TRUE(
    raw.recv_where([](const json& j) { return j["type"] == "ENTER"; }));
  ASSERT_TRUE(s.talk("mixed", "from stomp", "m", alice.id));
  until_receipt(s, "m");
  auto got
    = raw.recv_where([](const json& j) { return j["type"] == "MESSAGE"; });
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["message"], "from stomp");
  EXPECT_EQ((*got)["sender"], "alice");
  ASSERT_TRUE(raw.send_json({{"type", "MESSAGE"},
                             {"roomId", "mixed"},
                             {"message", "from raw"},
                             {"clientMsgId", "c-1"}}));
  for (;;) {
    auto f = s.expect("MESSAGE");
    if (f.command != "MESSAGE")
      break;
    auto b = json::parse(f.body);
    if (b["type"] != "TALK")
      continue; // bob's ENTER notice
    EXPECT_EQ(b["message"], "from raw");
    EXPECT_EQ(b["sender"], "bob");
    EXPECT_EQ(b["senderId"], bob.id);
    break;
  }
}

TEST(stomp, a_silent_client_with_heartbeats_is_closed) {
  temp_dir dir;
  server_process srv{H2HD_PATH,
                     stomp_args(dir, {"--stomp.heartbeat_ms", "100"})};
  auto alice = sign_up_unverified(srv.port(), "alice");
  stomp_client c{srv.port()};
  auto connected = c.connect(alice.access_token, "100,100");
  EXPECT_EQ(header(connected, "heart-beat"), "100,100");
  // The client sends nothing: the server beats, then gives up after 1.5x.
  auto start = std::chrono::steady_clock::now();
  auto err = c.expect("ERROR", 3000ms);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(header(err, "message").find("heart-beat"), std::string::npos);
  EXPECT_GE(c.heartbeats, 1) << "the server sent heart-beats meanwhile";
  EXPECT_GE(took, 150ms);
  EXPECT_TRUE(c.ws.wait_closed(3000ms).has_value());
  // A client that beats stays, well past 1.5x its interval (300 ms).
  stomp_client d{srv.port()};
  d.connect(alice.access_token, "200,100");
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(d.ws.send("\n"));
    std::this_thread::sleep_for(50ms); // the client's own beat interval
  }
  d.subscribe("s", "alive", "still-here");
  until_receipt(d, "still-here");
}

TEST(stomp, unsubscribe_stops_delivery_and_disconnect_is_receipted) {
  temp_dir dir;
  server_process srv{H2HD_PATH, stomp_args(dir)};
  auto alice = sign_up_unverified(srv.port(), "alice");
  auto bob = sign_up_unverified(srv.port(), "bob");
  stomp_client c{srv.port()};
  c.connect(alice.access_token);
  c.subscribe("a", "ra", "sa");
  until_receipt(c, "sa");
  c.subscribe("b", "rb", "sb");
  until_receipt(c, "sb");
  ASSERT_TRUE(c.send("UNSUBSCRIBE", {{"id", "a"}, {"receipt", "ua"}}));
  until_receipt(c, "ua");
  // bob talks in ra (no longer delivered) and then in rb (delivered).
  ws_client raw{srv.port(), with_header_token(bob.access_token)};
  for (const char* room : {"ra", "rb"}) {
    ASSERT_TRUE(raw.send_json({{"type", "ENTER"}, {"roomId", room}}));
    ASSERT_TRUE(raw.send_json({{"type", "MESSAGE"},
                               {"roomId", room},
                               {"message", std::string{"in "} + room},
                               {"clientMsgId", room}}));
    ASSERT_TRUE(
      raw.recv_where([](const json& j) { return j["type"] == "ACK"; }));
  }
  for (;;) {
    auto f = c.expect("MESSAGE");
    if (f.command != "MESSAGE")
      break;
    auto b = json::parse(f.body);
    EXPECT_EQ(b["roomId"], "rb") << "nothing of the unsubscribed room";
    EXPECT_EQ(header(f, "subscription"), "b");
    if (b["type"] == "TALK") {
      EXPECT_EQ(b["message"], "in rb");
      break;
    }
  }
  ASSERT_TRUE(c.send("DISCONNECT", {{"receipt", "bye-1"}}));
  auto r = c.expect("RECEIPT");
  EXPECT_EQ(header(r, "receipt-id"), "bye-1");
  auto code = c.ws.wait_closed(3000ms);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1000);
}
