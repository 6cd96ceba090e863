// Integration: durable history across restarts of a real h2hd, on SQLite and
// on MariaDB; recovery with lastSeq; the history REST API.
#include <gtest/gtest.h>

#include <set>

#include "mariadb.hpp"
#include "process.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// Reads until a frame satisfies `pred` (bounded); returns it.
json next_where(ws_client& c, const std::function<bool(const json&)>& pred,
                std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("timed out waiting for a frame");
    auto j = c.recv_json(left);
    if (pred(j))
      return j;
  }
}

json next_ack(ws_client& c, const std::string& cmid) {
  return next_where(c, [&](const json& j) {
    return j["type"] == "ACK" && j["clientMsgId"] == cmid;
  });
}

/// Room events (not ACK/ERROR) until `n` arrived.
std::vector<json> events(ws_client& c, std::size_t n) {
  std::vector<json> out;
  while (out.size() < n) {
    auto j = c.recv_json();
    if (j["type"] != "ACK" && j["type"] != "ERROR")
      out.push_back(j);
  }
  return out;
}

std::vector<std::uint64_t> seqs_of(const std::vector<json>& evs) {
  std::vector<std::uint64_t> out;
  for (auto& e : evs)
    out.push_back(e["seq"]);
  return out;
}

class durable_history : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    auto args = local_args_on(GetParam(), dir_);
    if (!args)
      GTEST_SKIP() << "H2H_TEST_MYSQL_URL is not set";
    args_ = trusted_mode(*args);
    args_.insert(args_.end(), {"--log-level", "info"});
  }

  std::unique_ptr<server_process> start() {
    return std::make_unique<server_process>(H2HD_PATH, args_);
  }

  temp_dir dir_;
  std::vector<std::string> args_;
};

} // namespace

TEST_P(durable_history, seqs_history_and_dedupe_survive_restarts) {
  std::uint64_t ack_c2 = 0;
  {
    auto srv = start();
    ws_client a{srv->port()};
    ASSERT_TRUE(a.send_json(enter_frame("r1", "alice")));
    for (int i = 1; i <= 5; ++i) {
      auto cmid = "c" + std::to_string(i);
      ASSERT_TRUE(a.send_json(message_frame("r1", "alice", "m" + cmid, cmid)));
      auto ack = next_ack(a, cmid);
      if (i == 2)
        ack_c2 = ack["seq"];
    }
    EXPECT_EQ(ack_c2, 3u); // 1 = ENTER
    a.close();
    EXPECT_EQ(srv->stop(), 0);
  }
  {
    auto srv = start();
    ws_client b{srv->port()};
    // Bob saw up to seq 2 before: he gets 3..7 (c2..c5 and alice's EXIT)
    // replayed, then his own ENTER live.
    ASSERT_TRUE(b.send_json(enter_frame("r1", "bob", 2)));
    auto got = events(b, 6);
    EXPECT_EQ(seqs_of(got), (std::vector<std::uint64_t>{3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(got[0]["message"], "mc2");
    EXPECT_EQ(got[4]["type"], "EXIT");
    EXPECT_EQ(got[5]["type"], "ENTER");
    EXPECT_EQ(got[5]["sender"], "bob");
    // A retry of an old message gets its original seq and no broadcast.
    ASSERT_TRUE(b.send_json(message_frame("r1", "alice", "mc2", "c2")));
    EXPECT_EQ(next_ack(b, "c2")["seq"], ack_c2);
    ASSERT_TRUE(b.send_json(message_frame("r1", "bob", "after restart", "b1")));
    auto live
      = next_where(b, [](const json& j) { return j["type"] == "MESSAGE"; });
    EXPECT_EQ(live["message"], "after restart");
    EXPECT_EQ(live["seq"], 9u);
    // History holds everything exactly once, oldest first.
    auto h
      = http_request(srv->port(), "GET", "/messages/room/r1?page=0&size=100");
    ASSERT_EQ(h.status, 200) << h.body;
    auto all = json::parse(h.body);
    ASSERT_EQ(all.size(), 9u);
    for (std::size_t i = 0; i < all.size(); ++i)
      EXPECT_EQ(all[i]["seq"], i + 1);
    std::multiset<std::string> texts;
    for (auto& m : all)
      if (m["type"] == "MESSAGE")
        texts.insert(m["message"].get<std::string>());
    EXPECT_EQ(texts.count("mc2"), 1u);
    EXPECT_EQ(texts.size(), 6u);
    EXPECT_EQ(srv->stop(), 0);
  }
}

TEST_P(durable_history, a_reconnect_with_last_seq_gets_exactly_what_it_missed) {
  auto srv = start();
  ws_client a{srv->port()};
  ASSERT_TRUE(a.send_json(enter_frame("r1", "alice")));
  events(a, 1);
  std::uint64_t seen = 0;
  {
    ws_client b{srv->port()};
    ASSERT_TRUE(b.send_json(enter_frame("r1", "bob")));
    events(b, 1);
    ASSERT_TRUE(a.send_json(message_frame("r1", "alice", "seen", "s1")));
    seen = next_where(
      b, [](const json& j) { return j["type"] == "MESSAGE"; })["seq"];
    b.close();
  }
  for (int i = 0; i < 5; ++i) {
    auto cmid = "m" + std::to_string(i);
    ASSERT_TRUE(a.send_json(message_frame("r1", "alice", cmid, cmid)));
    next_ack(a, cmid);
  }
  ws_client b2{srv->port()};
  ASSERT_TRUE(
    b2.send_json(enter_frame("r1", "bob", static_cast<std::int64_t>(seen))));
  // bob's EXIT, five messages, then his new ENTER.
  auto got = events(b2, 7);
  std::vector<std::uint64_t> want;
  for (auto s = seen + 1; s <= seen + 7; ++s)
    want.push_back(s);
  EXPECT_EQ(seqs_of(got), want);
  EXPECT_EQ(got[0]["type"], "EXIT");
  EXPECT_EQ(got[1]["message"], "m0");
  EXPECT_EQ(got[5]["message"], "m4");
  EXPECT_EQ(got[6]["type"], "ENTER");
  auto extra = b2.recv(200ms);
  EXPECT_FALSE(extra.has_value()) << "nothing twice: " << extra.value_or("");
  EXPECT_EQ(srv->stop(), 0);
}

TEST_P(durable_history, the_history_api_pages_and_checks_its_input) {
  auto srv = start();
  ws_client a{srv->port()};
  ASSERT_TRUE(a.send_json(enter_frame("r1", "alice")));
  for (int i = 0; i < 7; ++i) {
    auto cmid = "m" + std::to_string(i);
    ASSERT_TRUE(a.send_json(message_frame("r1", "alice", cmid, cmid)));
    next_ack(a, cmid);
  }
  // seqs 1 (ENTER) .. 8
  auto p = http_request(srv->port(), "GET", "/messages/room/r1?page=1&size=3");
  ASSERT_EQ(p.status, 200);
  auto page = json::parse(p.body);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0]["seq"], 4u);
  EXPECT_EQ(page[0]["type"], "MESSAGE");
  EXPECT_EQ(page[0]["sender"], "alice");
  EXPECT_TRUE(page[0].contains("ts"));
  auto c1 = json::parse(
    http_request(srv->port(), "GET", "/messages/room/r1?limit=3").body);
  EXPECT_EQ(seqs_of(c1["messages"].get<std::vector<json>>()),
            (std::vector<std::uint64_t>{8, 7, 6}));
  EXPECT_EQ(c1["next_before"], 6u);
  auto c2 = json::parse(
    http_request(srv->port(), "GET", "/messages/room/r1?before=3&limit=3")
      .body);
  EXPECT_EQ(seqs_of(c2["messages"].get<std::vector<json>>()),
            (std::vector<std::uint64_t>{2, 1}));
  EXPECT_TRUE(c2["next_before"].is_null());
  auto bad = http_request(srv->port(), "GET", "/messages/room/r1?size=1000");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["code"], "GLOBAL_002");
  auto bad2 = http_request(srv->port(), "GET", "/messages/room/r1?before=x");
  EXPECT_EQ(bad2.status, 400);
  auto missing = http_request(srv->port(), "GET", "/messages/room/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["code"], "CHAT_001");
  auto ready = http_request(srv->port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json::parse(ready.body)["store"], "ok");
  EXPECT_EQ(srv->stop(), 0);
}

TEST_P(durable_history, shutdown_commits_what_is_still_batched) {
  // A long batch window keeps the message waiting when SIGTERM arrives.
  args_.insert(args_.end(), {"--persistence.batch_window_ms", "10000",
                             "--persistence.batch_max", "1000"});
  {
    auto srv = start();
    ws_client a{srv->port()};
    ASSERT_TRUE(a.send_json(enter_frame("r1", "alice")));
    ASSERT_TRUE(a.send_json(message_frame("r1", "alice", "last words", "w1")));
    EXPECT_FALSE(a.recv(300ms).has_value()) << "nothing is seen before commit";
    EXPECT_EQ(srv->stop(), 0);
    EXPECT_NE(srv->log().find("persistence flushed"), std::string::npos)
      << srv->log();
  }
  auto srv = start();
  auto h = http_request(srv->port(), "GET", "/messages/room/r1");
  ASSERT_EQ(h.status, 200) << h.body;
  auto list = json::parse(h.body);
  std::vector<std::string> texts;
  for (auto& m : list)
    texts.push_back(m["message"]);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "last words"), texts.end())
    << h.body;
  EXPECT_EQ(srv->stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(stores, durable_history,
                         ::testing::Values("sqlite", "mysql"),
                         [](const auto& info) { return info.param; });
