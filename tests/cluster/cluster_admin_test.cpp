// The admin port across a real two-node cluster (ctest label `cluster`):
// a node answers for a room another node owns, lists every node, and names
// a node that does not answer (stopped with SIGSTOP) within its timeout.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <optional>
#include <set>

#include "actors/cluster/rendezvous.hpp"
#include "cluster_support.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::set<std::string> node_ids(const json& answer) {
  std::set<std::string> ids;
  for (auto& n : answer["result"]["nodes"])
    ids.insert(n.value("id", ""));
  return ids;
}

class cluster_admin : public cluster_fixture {
protected:
  void SetUp() override {
    cluster_fixture::SetUp();
    if (!cluster_)
      return;
    // Each node waits this long for the others' parts (the nodes inherit
    // the environment): a stopped node is named well before its
    // registration expires and the cluster forgets it.
    ::setenv("H2H_ADMIN_NODE_TIMEOUT_MS", "1000", 1);
  }

  void TearDown() override {
    ::unsetenv("H2H_ADMIN_NODE_TIMEOUT_MS");
  }
};

TEST_F(cluster_admin, one_node_answers_for_the_cluster_and_names_a_silent_one) {
  auto& n1 = cluster_->start("n1");
  auto& n2 = cluster_->start("n2");
  ASSERT_TRUE(cluster_->wait_nodes(2)) << "the nodes did not see each other";

  // A room that n2 owns, used by a client of n1 (through n1's relay).
  std::string room;
  std::vector<std::string> both{"n1", "n2"};
  for (int i = 0; room.empty(); ++i) {
    auto id = "admin-" + std::to_string(i);
    if (*h2h::rendezvous_owner(id, both) == "n2")
      room = id;
  }
  ws_client alice{n1.port()};
  ASSERT_TRUE(alice.send_json(enter_frame(room, "alice")));
  ASSERT_TRUE(alice.recv_where(
    [](const json& j) { return j.value("type", "") == "ENTER"; }, 10s));
  ASSERT_TRUE(alice.send_json(message_frame(room, "alice", "hi", "c1")));
  ASSERT_TRUE(alice.recv_where(
    [](const json& j) { return j.value("type", "") == "ACK"; }, 10s));

  // Asked on n1, the room is reported by its owner n2: ENTER + message.
  auto r = admin_command(n1, "room " + room);
  ASSERT_TRUE(r.value("ok", false)) << r.dump();
  const auto& view = r["result"]["room"];
  EXPECT_EQ(view.value("owner", ""), "n2") << r.dump();
  EXPECT_EQ(view.value("seq", 0), 2) << r.dump();
  EXPECT_EQ(view.value("id", ""), room) << r.dump();

  auto nodes = admin_command(n1, "nodes");
  ASSERT_TRUE(nodes.value("ok", false)) << nodes.dump();
  EXPECT_EQ(node_ids(nodes), (std::set<std::string>{"n1", "n2"}))
    << nodes.dump();
  EXPECT_FALSE(nodes.contains("unanswered") && !nodes["unanswered"].empty())
    << nodes.dump();

  // n2 hangs: n1 still answers, within its wait for n2, and names n2.
  n2.signal(SIGSTOP);
  auto asked = std::chrono::steady_clock::now();
  auto silent = admin_command(n1, "nodes");
  auto took = std::chrono::steady_clock::now() - asked;
  n2.signal(SIGCONT);
  ASSERT_TRUE(silent.value("ok", false)) << silent.dump();
  EXPECT_EQ(silent.value("unanswered", json::array()), json::array({"n2"}))
    << silent.dump();
  EXPECT_TRUE(node_ids(silent).count("n1")) << silent.dump();
  EXPECT_LT(took, 5s);
}

} // namespace
