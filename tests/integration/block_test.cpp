// Blocking end to end on a real h2hd, over raw /message and over STOMP: A
// blocks B; B's messages in a shared room reach C but not A, live, in A's
// REST history and in A's replay (ENTER/SUBSCRIBE with lastSeq); after the
// unblock new messages of B reach A again.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "accounts.hpp"
#include "process.hpp"
#include "stomp_client.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> args(const temp_dir& dir) {
  return with_accounts(
    local_args(dir, {"--auth.require_email_verification", "false"}));
}

using strings = std::vector<std::string>;

bool is_message(const json& j) {
  return j.value("type", "") == "MESSAGE" || j.value("type", "") == "TALK";
}

/// Events of a raw connection until its own ENTER notice (sent by `nick`,
/// with a seq above `after`: a replay may hold older ones of the same
/// member); the ENTER notice is the last one.
std::vector<json> enter(ws_client& c, const std::string& room,
                        const std::string& nick, std::int64_t last_seq = -1,
                        std::int64_t after = -1) {
  EXPECT_TRUE(c.send_json(enter_frame(room, nick, last_seq)));
  std::vector<json> out;
  for (int i = 0; i < 200; ++i) {
    auto j = c.recv_json();
    if (j.is_null() || j.value("type", "") == "ERROR") {
      ADD_FAILURE() << "no ENTER notice for " << nick << ": " << j.dump();
      return out;
    }
    if (j.value("type", "") == "ACK")
      continue;
    out.push_back(j);
    if (j["type"] == "ENTER" && j["sender"] == nick
        && j["seq"].get<std::int64_t>() > after)
      return out;
  }
  ADD_FAILURE() << "too many events before the ENTER notice of " << nick;
  return out;
}

/// Sends a message and waits for its ACK; returns the texts of the
/// MESSAGEs that arrived before it (its own broadcast comes first).
std::vector<std::string> say(ws_client& c, const std::string& room,
                             const std::string& nick,
                             const std::string& text) {
  auto cmid = "c-" + text;
  std::vector<std::string> seen;
  EXPECT_TRUE(c.send_json(message_frame(room, nick, text, cmid)));
  auto ack = c.recv_where([&](const json& j) {
    if (is_message(j))
      seen.push_back(j["message"]);
    return (j.value("type", "") == "ACK" && j["clientMsgId"] == cmid)
           || j.value("type", "") == "ERROR";
  });
  EXPECT_TRUE(ack) << "no ACK for " << text;
  if (ack) {
    EXPECT_EQ((*ack)["type"], "ACK") << ack->dump();
  }
  return seen;
}

/// The text of the next MESSAGE event of a raw connection.
std::string next_text(ws_client& c) {
  auto j = c.recv_where(is_message);
  return j ? (*j)["message"].get<std::string>() : std::string{"<none>"};
}

std::vector<std::string> texts(const std::vector<json>& evs) {
  std::vector<std::string> out;
  for (auto& e : evs)
    if (is_message(e))
      out.push_back(e["message"]);
  return out;
}

rest_result change_block(std::uint16_t port, const member& by,
                         const member& target, bool blocking) {
  return rest(port, "POST", blocking ? "/member/block" : "/member/unblock",
              json{{"member_id", by.id}, {"target_id", target.id}},
              by.access_token);
}

/// The message texts of room r1's history as `reader` reads it.
strings history(std::uint16_t port, const member& reader) {
  auto res = rest(port, "GET", "/messages/room/r1?page=0&size=100", {},
                  reader.access_token);
  EXPECT_EQ(res.status, 200) << res.raw;
  return res.body.is_array() ? texts(res.body.get<std::vector<json>>())
                             : strings{};
}

} // namespace

TEST(blocking, raw_ws_live_history_replay_and_unblock) {
  temp_dir dir;
  server_process srv{H2HD_PATH, args(dir)};
  auto port = srv.port();
  auto alice = sign_up_unverified(port, "alice");
  auto bob = sign_up_unverified(port, "bob");
  auto carol = sign_up_unverified(port, "carol");
  ws_client a{port, with_query_token(alice.access_token)};
  ws_client b{port, with_query_token(bob.access_token)};
  ws_client c{port, with_query_token(carol.access_token)};
  enter(a, "r1", "alice");
  enter(b, "r1", "bob");
  enter(c, "r1", "carol");
  say(b, "r1", "bob", "before the block");
  EXPECT_EQ(next_text(a), "before the block");

  auto res = change_block(port, alice, bob, true);
  ASSERT_EQ(res.status, 200) << res.raw;
  say(b, "r1", "bob", "hidden one");
  // Carol gets everything (she had read nothing yet).
  EXPECT_EQ(say(c, "r1", "carol", "visible one"),
            (strings{"before the block", "hidden one", "visible one"}));
  // Seq order: had alice got bob's message, it would come first.
  EXPECT_EQ(next_text(a), "visible one");

  // History: alice's reads leave bob's messages out, carol's do not.
  EXPECT_EQ(history(port, alice), (strings{"visible one"}));
  EXPECT_EQ(history(port, carol),
            (strings{"before the block", "hidden one", "visible one"}));

  // A replay from lastSeq 0 on a new connection (it reads the blocks at the
  // upgrade): bob's ENTER notice passes, his messages do not.
  ws_client a2{port, with_query_token(alice.access_token)};
  // Seqs 1-3 are the first ENTERs: alice's new notice comes after them.
  auto replayed = enter(a2, "r1", "alice", 0, 3);
  EXPECT_EQ(texts(replayed), (strings{"visible one"}));
  int bob_enters = 0;
  for (auto& e : replayed)
    bob_enters += e["type"] == "ENTER" && e["sender"] == "bob";
  EXPECT_EQ(bob_enters, 1);
  say(b, "r1", "bob", "hidden two");
  say(c, "r1", "carol", "visible two");
  EXPECT_EQ(next_text(a), "visible two");
  EXPECT_EQ(next_text(a2), "visible two");

  res = change_block(port, alice, bob, false);
  ASSERT_EQ(res.status, 200) << res.raw;
  say(b, "r1", "bob", "after the unblock");
  EXPECT_EQ(next_text(a), "after the unblock");
  EXPECT_EQ(next_text(a2), "after the unblock");
  EXPECT_EQ(history(port, alice),
            (strings{"before the block", "hidden one", "visible one",
                     "hidden two", "visible two", "after the unblock"}));
}

TEST(blocking, stomp_live_replay_and_unblock) {
  temp_dir dir;
  server_process srv{H2HD_PATH, args(dir)};
  auto port = srv.port();
  auto alice = sign_up_unverified(port, "alice");
  auto bob = sign_up_unverified(port, "bob");
  auto carol = sign_up_unverified(port, "carol");
  stomp_client a{port};
  a.connect(alice.access_token);
  a.subscribe("s-1", "r1", "sub-1");
  until_receipt(a, "sub-1");
  ws_client b{port, with_query_token(bob.access_token)};
  enter(b, "r1", "bob");
  stomp_client c{port};
  c.connect(carol.access_token);
  c.subscribe("s-1", "r1", "sub-1");
  until_receipt(c, "sub-1");

  auto res = change_block(port, alice, bob, true);
  ASSERT_EQ(res.status, 200) << res.raw;
  say(b, "r1", "bob", "hidden");
  ASSERT_TRUE(c.talk("r1", "visible", "v-1", carol.id));
  until_receipt(c, "v-1");
  // Alice's next MESSAGE frames: notices, then carol's (never bob's).
  std::string got;
  for (int i = 0; i < 10 && got.empty(); ++i) {
    auto f = a.next();
    ASSERT_TRUE(f) << "no MESSAGE for alice";
    ASSERT_EQ(f->command, "MESSAGE");
    auto body = json::parse(f->body);
    if (body["type"] == "TALK")
      got = body["message"];
  }
  EXPECT_EQ(got, "visible");

  // A replay over STOMP (SUBSCRIBE with last-seq) leaves bob out too.
  stomp_client a2{port};
  a2.connect(alice.access_token);
  a2.subscribe("s-9", "r1", "sub-9", 0);
  strings replayed;
  for (auto& f : until_receipt(a2, "sub-9")) {
    auto body = json::parse(f.body);
    if (body["type"] == "TALK")
      replayed.push_back(body["message"]);
  }
  EXPECT_EQ(replayed, (strings{"visible"}));

  res = change_block(port, alice, bob, false);
  ASSERT_EQ(res.status, 200) << res.raw;
  say(b, "r1", "bob", "after the unblock");
  got.clear();
  for (int i = 0; i < 10 && got.empty(); ++i) {
    auto f = a.next();
    ASSERT_TRUE(f) << "no MESSAGE for alice after the unblock";
    auto body = json::parse(f->body);
    if (body["type"] == "TALK")
      got = body["message"];
  }
  EXPECT_EQ(got, "after the unblock");
}
