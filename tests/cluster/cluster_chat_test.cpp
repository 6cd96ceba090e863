// Real multi-process cluster tests (ctest label `cluster`): h2hd nodes on
// 127.0.0.1 with the shared MariaDB and Redis; clients on different nodes
// chat in one room.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "cluster_support.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// Reads until `n` MESSAGE events of `room` arrived (bounded); returns them
/// in arrival order.
std::vector<json> messages(ws_client& c, const std::string& room, std::size_t n,
                           std::chrono::milliseconds timeout = 10000ms) {
  std::vector<json> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    auto text = c.recv(left);
    if (!text)
      break;
    auto j = json::parse(*text, nullptr, false);
    if (!j.is_discarded() && j.value("type", "") == "MESSAGE"
        && j.value("roomId", "") == room)
      out.push_back(j);
  }
  return out;
}

/// The (seq, text) list of MESSAGE events.
std::vector<std::pair<std::uint64_t, std::string>>
seq_texts(const std::vector<json>& evs) {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  for (auto& e : evs)
    out.emplace_back(e["seq"].get<std::uint64_t>(),
                     e["message"].get<std::string>());
  return out;
}

/// Waits for the ACK of ENTER (raw JSON acknowledges ENTER without an id:
/// the next ENTER notice of `sender` will do) by sending a probe message.
void enter(ws_client& c, const std::string& room, const std::string& sender) {
  ASSERT_TRUE(c.send_json(enter_frame(room, sender)));
  // The ENTER notice of `sender` comes once the room admitted it.
  auto notice = c.recv_where(
    [&](const json& j) {
      return j.value("type", "") == "ENTER" && j.value("sender", "") == sender;
    },
    10000ms);
  ASSERT_TRUE(notice) << sender << " did not enter " << room;
}

using cluster_chat = cluster_fixture;

TEST_F(cluster_chat, three_nodes_form_one_cluster) {
  cluster_->start("n1");
  cluster_->start("n2");
  cluster_->start("n3");
  ASSERT_TRUE(cluster_->wait_nodes(3)) << "the nodes did not see each other";
  for (auto id : {"n1", "n2", "n3"})
    EXPECT_EQ(cluster_->nodes_seen(id), 3u) << id;
}

TEST_F(cluster_chat, clients_on_three_nodes_see_one_order) {
  auto& n1 = cluster_->start("n1");
  auto& n2 = cluster_->start("n2");
  auto& n3 = cluster_->start("n3");
  ASSERT_TRUE(cluster_->wait_nodes(3));
  // Several rooms, so that each node owns some and relays others.
  for (std::string room : {"lobby", "r-a", "r-b", "r-c"}) {
    SCOPED_TRACE(room);
    ws_client a{n1.port()}, b{n2.port()}, c{n3.port()};
    enter(a, room, "alice");
    enter(b, room, "bob");
    enter(c, room, "carol");
    const int per_client = 20;
    for (int i = 0; i < per_client; ++i) {
      auto n = std::to_string(i);
      ASSERT_TRUE(a.send_json(message_frame(room, "alice", "a" + n, "a-" + n)));
      ASSERT_TRUE(b.send_json(message_frame(room, "bob", "b" + n, "b-" + n)));
      ASSERT_TRUE(c.send_json(message_frame(room, "carol", "c" + n, "c-" + n)));
    }
    std::size_t total = 3 * per_client;
    auto ea = seq_texts(messages(a, room, total));
    auto eb = seq_texts(messages(b, room, total));
    auto ec = seq_texts(messages(c, room, total));
    ASSERT_EQ(ea.size(), total);
    EXPECT_EQ(ea, eb) << "n1 and n2 saw different orders";
    EXPECT_EQ(ea, ec) << "n1 and n3 saw different orders";
    std::set<std::uint64_t> seqs;
    std::set<std::string> texts;
    for (std::size_t i = 0; i < ea.size(); ++i) {
      seqs.insert(ea[i].first);
      texts.insert(ea[i].second);
      if (i > 0) {
        EXPECT_LT(ea[i - 1].first, ea[i].first) << "seqs ascend";
      }
    }
    EXPECT_EQ(seqs.size(), total) << "every seq once";
    EXPECT_EQ(texts.size(), total) << "every message once";
  }
}

TEST_F(cluster_chat, a_reconnect_to_another_node_replays_from_last_seq) {
  auto& n1 = cluster_->start("n1");
  auto& n2 = cluster_->start("n2");
  ASSERT_TRUE(cluster_->wait_nodes(2));
  std::uint64_t last = 0;
  {
    ws_client a{n1.port()};
    enter(a, "replay", "alice");
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(
        a.send_json(message_frame("replay", "alice", "m" + std::to_string(i))));
    auto got = messages(a, "replay", 5);
    ASSERT_EQ(got.size(), 5u);
    last = got[1]["seq"].get<std::uint64_t>(); // as if only two had arrived
  }
  ws_client b{n2.port()};
  ASSERT_TRUE(b.send_json(
    enter_frame("replay", "alice", static_cast<std::int64_t>(last))));
  auto again = seq_texts(messages(b, "replay", 3));
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].second, "m2");
  EXPECT_EQ(again[2].second, "m4");
  EXPECT_GT(again[0].first, last);
}

} // namespace
