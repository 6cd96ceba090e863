// A network partition (ctest label `faults`): three nodes, each in a network
// namespace of its own (netns_lab), under a steady load of raw and STOMP
// clients in two rooms, one owned on each side of the cut; n1 and n2 are
// cut apart for 10 s (a blackhole route to the other in each namespace,
// both still reach MariaDB, Redis, n3 and the clients), then healed.
// Nothing acknowledged is lost, nothing repeated to a client that came back
// with lastSeq, no seq stands for two events. Skips where ip netns cannot
// work (not root, no CAP_NET_ADMIN, no veth or bridge).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "fault_support.hpp"
#include "netns_lab.hpp"

using namespace h2h::test;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> ids{"n1", "n2", "n3"};

class fault_partition : public ::testing::Test {
protected:
  void SetUp() override {
    std::string why;
    lab_ = netns_lab::make(ids.size(), why);
    if (!lab_)
      GTEST_SKIP() << "a network partition needs ip netns: " << why;
    mysql_ = lab_->start_mariadb();
    redis_ = lab_->start_redis();
    prefix_ = "h2h-test-" + std::to_string(std::random_device{}());
    for (std::size_t i = 0; i < ids.size(); ++i)
      start(i);
    ASSERT_TRUE(wait_nodes(3, 20s));
  }

  /// Node `i` in its namespace, on its own address.
  void start(std::size_t i) {
    auto& addr = lab_->address(i);
    auto args = trusted_mode({"netns",
                              "exec",
                              lab_->ns(i),
                              H2HD_PATH,
                              "--port",
                              "0",
                              "--bind",
                              addr,
                              "--store.kind",
                              "mysql",
                              "--store.mysql_url",
                              mysql_,
                              "--cluster.enabled",
                              "true",
                              "--cluster.port",
                              "0",
                              "--cluster.advertise_host",
                              addr,
                              "--cluster.node_id",
                              ids[i],
                              "--redis.url",
                              redis_,
                              "--redis.key_prefix",
                              prefix_,
                              "--log-level",
                              "info"});
    nodes_.push_back(std::make_unique<server_process>(lab_->ip(), args));
  }

  load_node node(std::size_t i) const {
    return {lab_->address(i), nodes_.at(i)->port()};
  }

  /// The live node count node `i` reports in /readyz (0 when it fails).
  std::size_t nodes_seen(std::size_t i) const {
    try {
      auto n = node(i);
      auto r = http_request_at(n.host, n.port, "GET", "/readyz");
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (j.is_discarded() || !j.contains("cluster"))
        return 0;
      return j["cluster"].value("nodes", std::size_t{0});
    } catch (const std::exception&) {
      return 0;
    }
  }

  bool wait_nodes(std::size_t n, std::chrono::milliseconds timeout) const {
    auto deadline = load_clock::now() + timeout;
    while (load_clock::now() < deadline) {
      bool all = true;
      for (std::size_t i = 0; i < nodes_.size() && all; ++i)
        all = nodes_seen(i) == n;
      if (all)
        return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // The lab goes last: the nodes in its namespaces end first.
  std::unique_ptr<netns_lab> lab_;
  std::string mysql_, redis_, prefix_;
  std::vector<std::unique_ptr<server_process>> nodes_;
};

/// A room that `owner` owns among the three, and that `other` (the one cut
/// from it) takes over once it no longer sees `owner`: both sides of the
/// cut then think they own it, the case the store's (room, seq) key
/// fences.
std::string contested_room(const std::string& owner, const std::string& other) {
  for (int i = 0; i < 10000; ++i) {
    auto id = "load-" + std::to_string(i);
    if (*h2h::rendezvous_owner(id, ids) == owner
        && *h2h::rendezvous_owner(id, {other, "n3"}) == other)
      return id;
  }
  throw std::runtime_error("no contested room for " + owner);
}

/// How often node `p`'s log says a commit lost its seq to another writer
/// (the store's unique (room, seq) key fencing a second owner).
std::size_t fenced_commits(const server_process& p) {
  auto log = p.log();
  std::size_t n = 0;
  for (auto at = log.find("is taken by another"); at != std::string::npos;
       at = log.find("is taken by another", at + 1))
    ++n;
  return n;
}

/// The longest time one client went without an ACK in [from, to] (the
/// FAULT line's stall is over all clients together).
long longest_client_stall_ms(const load_clients& cs,
                             load_clock::time_point from,
                             load_clock::time_point to) {
  long worst = 0;
  for (auto& c : cs) {
    auto last = from;
    for (auto t : c->ack_times())
      if (t >= from && t <= to) {
        worst = std::max<long>(
          worst, std::chrono::duration_cast<std::chrono::milliseconds>(t - last)
                   .count());
        last = t;
      }
  }
  return worst;
}

/// The figures of two rooms' clients as one line.
fault_figures sum(const fault_figures& a, const fault_figures& b) {
  auto f = a;
  f.sent += b.sent;
  f.acked += b.acked;
  f.in_history += b.in_history;
  f.lost += b.lost;
  f.dup_after_lastseq += b.dup_after_lastseq;
  f.seq_reused += b.seq_reused;
  f.unacked += b.unacked;
  f.raw_acked += b.raw_acked;
  f.stomp_acked += b.stomp_acked;
  f.reconnects += b.reconnects;
  f.refusals += b.refusals;
  f.longest_stall_ms = std::max(a.longest_stall_ms, b.longest_stall_ms);
  f.recover_ms = a.recover_ms < 0 || b.recover_ms < 0
                   ? -1
                   : std::max(a.recover_ms, b.recover_ms);
  f.problems.insert(f.problems.end(), b.problems.begin(), b.problems.end());
  return f;
}

TEST_F(fault_partition, two_nodes_cut_apart_for_10_s_then_healed) {
  // One room owned on each side of the cut, each claimed by the other side
  // during the cut; a raw and a STOMP client of each room on every node.
  std::map<std::string, load_clients> rooms;
  for (auto [owner, other] : {std::pair{"n1", "n2"}, std::pair{"n2", "n1"}}) {
    auto room = contested_room(owner, other);
    auto& cs = rooms[room];
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto tag = ids[i] + "-" + owner;
      add_client(cs, "u" + tag, room, node(i));
      add_client(cs, "s" + tag, room, node(i), load_protocol::stomp);
    }
  }
  load_clients all;
  for (auto& [room, cs] : rooms)
    for (auto& c : cs)
      all.push_back(std::move(c));
  // A client whose connection ends comes back on n3 (it sees both sides).
  auto fallback = node(2);
  auto cut = load_clock::now(), healed = cut;
  std::size_t seen_in_cut[2] = {0, 0};
  auto end = run_fault_load(all, 18s, &fallback,
                            {{2s,
                              [&] {
                                cut = load_clock::now();
                                lab_->partition(0, 1);
                              }},
                             {11s,
                              [&] {
                                seen_in_cut[0] = nodes_seen(0);
                                seen_in_cut[1] = nodes_seen(1);
                              }},
                             {12s, [&] {
                                lab_->heal(0, 1);
                                healed = load_clock::now();
                              }}});
  EXPECT_TRUE(wait_nodes(3, 20s)) << "the cluster is whole again";
  EXPECT_EQ(seen_in_cut[0], 2u) << "n1 saw n2 go during the cut";
  EXPECT_EQ(seen_in_cut[1], 2u) << "n2 saw n1 go during the cut";
  auto one_stall = longest_client_stall_ms(all, cut, end);
  // Back into the rooms' groups, in the order they were made.
  fault_figures f;
  bool first = true;
  std::size_t k = 0;
  for (auto& [room, cs] : rooms) {
    load_clients mine;
    for (std::size_t n = 0; n < cs.size(); ++n)
      mine.push_back(std::move(all[k++]));
    auto g = tally_faults(mine, history(fallback, room), cut, {healed}, end);
    f = first ? g : sum(f, g);
    first = false;
  }
  std::printf("  partition: n1 saw %zu nodes and n2 %zu during the cut; "
              "commits fenced by the (room, seq) key: n1=%zu n2=%zu; "
              "longest stall of one client %ld ms\n",
              seen_in_cut[0], seen_in_cut[1], fenced_commits(*nodes_[0]),
              fenced_commits(*nodes_[1]), one_stall);
  report_and_check("partition_n1_n2_10s", f);
}

} // namespace
