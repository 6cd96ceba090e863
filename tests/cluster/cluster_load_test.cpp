// Many rooms at once across a real three-node cluster (ctest label
// `cluster`): every room has a member on every node, rooms are owned by
// every node, and each node runs several actor and I/O threads, so that
// rooms, relays, sessions, the cluster actor and the I/O<->actor bridge
// all work in parallel. Each room ends exactly-once. The ThreadSanitizer
// stage of scripts/test-all.sh runs this suite with TSan-built nodes: one
// room alone is one actor and cannot race with itself.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cluster_support.hpp"
#include "load_client.hpp"

using namespace h2h::test;
using namespace std::chrono_literals;

namespace {

constexpr int rooms_per_owner = 3;

using cluster_load = cluster_fixture;

/// `n` distinct room ids owned by `owner` among `nodes`.
std::vector<std::string> rooms_owned_by(const std::string& owner,
                                        const std::vector<std::string>& nodes,
                                        int n) {
  std::vector<std::string> out;
  for (int i = 0; i < 10000 && static_cast<int>(out.size()) < n; ++i) {
    auto id = "many-" + std::to_string(i);
    if (*h2h::rendezvous_owner(id, nodes) == owner)
      out.push_back(id);
  }
  if (static_cast<int>(out.size()) < n)
    throw std::runtime_error("not enough rooms for " + owner);
  return out;
}

} // namespace

TEST_F(cluster_load, many_rooms_on_three_nodes_in_parallel_each_exactly_once) {
  const std::vector<std::string> ids{"n1", "n2", "n3"};
  // Three actor threads and two I/O threads per node, whatever the
  // machine's core count.
  const std::vector<std::string> threads{"--actors.scheduler_threads", "3",
                                         "--server.io_threads", "2"};
  for (auto& id : ids)
    cluster_->start(id, false, threads);
  ASSERT_TRUE(cluster_->wait_nodes(3));

  std::vector<std::string> rooms;
  for (auto& owner : ids)
    for (auto& r : rooms_owned_by(owner, ids, rooms_per_owner))
      rooms.push_back(r);
  // Per room, one client on each node: two of three are relayed.
  std::vector<std::vector<std::unique_ptr<load_client>>> by_room(rooms.size());
  for (std::size_t r = 0; r < rooms.size(); ++r)
    for (auto& id : ids) {
      auto port = cluster_->node(id).port();
      by_room[r].push_back(std::make_unique<load_client>(
        "u" + id + "-" + rooms[r], rooms[r], port));
      by_room[r].back()->drain(200ms, port); // its own ENTER first
    }

  auto fallback = cluster_->node("n1").port();
  auto each = [&](auto&& f) {
    for (auto& cs : by_room)
      for (auto& c : cs)
        f(*c);
  };
  auto start = load_clock::now();
  while (load_clock::now() - start < 3s) {
    each([&](load_client& c) {
      c.tick(fallback);
      c.drain(1ms, fallback);
    });
    std::this_thread::sleep_for(10ms);
  }
  each([](load_client& c) { c.stop_sending(); });
  auto deadline = load_clock::now() + 30s;
  while (load_clock::now() < deadline) {
    bool all = true;
    each([&](load_client& c) {
      c.tick(fallback);
      c.drain(5ms, fallback);
      all = all && c.settled();
    });
    if (all)
      break;
  }
  each([&](load_client& c) { c.drain(200ms, fallback); });

  for (std::size_t r = 0; r < rooms.size(); ++r) {
    SCOPED_TRACE(rooms[r]);
    check_exactly_once(by_room[r], history(fallback, rooms[r]));
    int reconnects = 0;
    for (auto& c : by_room[r])
      reconnects += c->reconnects();
    EXPECT_EQ(reconnects, 0) << "no node went away";
    expect_no_refusals(by_room[r], ids);
  }
}
