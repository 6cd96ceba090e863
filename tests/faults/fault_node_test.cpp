// Faults of a node (ctest label `faults`): a 3-node cluster under a steady
// load of raw and STOMP clients while one node is SIGKILLed and another
// killed and started again with the same id, and while a node is frozen
// with SIGSTOP for 10 s. Nothing acknowledged is lost, nothing repeated to
// a client that came back with lastSeq, no seq stands for two events.
#include <gtest/gtest.h>

#include <signal.h>

#include "cluster_support.hpp"
#include "fault_support.hpp"

using namespace h2h::test;
using namespace std::chrono_literals;

namespace {

class fault_node : public cluster_fixture {
protected:
  void SetUp() override {
    cluster_fixture::SetUp();
    if (!cluster_)
      return;
    for (auto id : {"n1", "n2", "n3"})
      cluster_->start(id);
    ASSERT_TRUE(cluster_->wait_nodes(3));
  }

  /// Two raw clients and one STOMP client on each node, in `room`.
  load_clients clients(const std::string& room) {
    load_clients cs;
    for (auto id : {"n1", "n2", "n3"}) {
      auto port = cluster_->node(id).port();
      for (int k = 0; k < 2; ++k)
        add_client(cs, std::string{"u"} + id + "-" + std::to_string(k), room,
                   port);
      add_client(cs, std::string{"s"} + id, room, port, load_protocol::stomp);
    }
    return cs;
  }
};

TEST_F(fault_node, sigkill_of_the_owner_then_a_restart_with_the_same_id) {
  // The room lives on the node that dies first: the hardest case.
  auto room = room_owned_by("n3", {"n1", "n2", "n3"});
  auto cs = clients(room);
  std::uint16_t fallback = cluster_->node("n1").port();
  auto killed = load_clock::now(), restarted = killed;
  auto end = run_fault_load(cs, 9s, &fallback,
                            {{3s,
                              [&] {
                                killed = load_clock::now();
                                cluster_->kill("n3");
                              }},
                             {6s, [&] {
                                cluster_->kill("n2");
                                cluster_->start("n2"); // the same id, new ports
                                restarted = load_clock::now();
                              }}});
  EXPECT_TRUE(cluster_->wait_nodes(2)) << "n1 and the new n2 see each other";
  auto f = tally_faults(cs, history(fallback, room), killed,
                        {killed, restarted}, end);
  report_and_check("node_sigkill_and_restart", f);
  int moved = 0;
  for (auto& c : cs)
    moved += c->reconnects();
  EXPECT_GE(moved, 6) << "the clients of n3, then of n2, reconnected";
}

TEST_F(fault_node, a_node_frozen_for_10_s_then_continued) {
  // A hung peer, not a dead one: its TCP connections stay open. The room
  // lives on it.
  auto room = room_owned_by("n3", {"n1", "n2", "n3"});
  auto cs = clients(room);
  std::uint16_t fallback = cluster_->node("n1").port();
  auto frozen = load_clock::now(), thawed = frozen;
  auto end = run_fault_load(cs, 15s, &fallback,
                            {{2s,
                              [&] {
                                frozen = load_clock::now();
                                cluster_->node("n3").signal(SIGSTOP);
                              }},
                             {12s, [&] {
                                cluster_->node("n3").signal(SIGCONT);
                                thawed = load_clock::now();
                              }}});
  EXPECT_TRUE(cluster_->wait_nodes(3)) << "n3 is back in the cluster";
  auto f = tally_faults(cs, history(fallback, room), frozen, {thawed}, end);
  report_and_check("node_sigstop_10s", f);
}

} // namespace
