// Faults of the services a cluster needs (ctest label `faults`): its own
// MariaDB SIGKILLed and started again, its own Redis SIGKILLed and started
// again, under a steady load of raw and STOMP clients. Nothing acknowledged
// is lost, nothing repeated, no seq stands for two events.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "cluster_support.hpp"
#include "fault_support.hpp"

using namespace h2h::test;
using namespace std::chrono_literals;

namespace {

/// Two raw clients and one STOMP client on each of `nodes`, in `room`.
load_clients clients(test_cluster& cluster, const std::string& room,
                     const std::vector<std::string>& nodes) {
  load_clients cs;
  for (auto& id : nodes) {
    auto port = cluster.node(id).port();
    for (int k = 0; k < 2; ++k)
      add_client(cs, "u" + id + "-" + std::to_string(k), room, port);
    add_client(cs, "s" + id, room, port, load_protocol::stomp);
  }
  return cs;
}

TEST(fault_service, mariadb_sigkilled_and_restarted_under_load) {
  auto c = test_cluster::make(false, true);
  if (!c)
    GTEST_SKIP() << "H2H_TEST_MYSQL_URL or H2H_TEST_REDIS_URL is not set";
  c->start("n1");
  c->start("n2");
  ASSERT_TRUE(c->wait_nodes(2));
  auto room = room_owned_by("n2", {"n1", "n2"});
  auto cs = clients(*c, room, {"n1", "n2"});
  std::uint16_t fallback = c->node("n1").port();
  auto killed = load_clock::now();
  // The restart (InnoDB recovery, a few seconds) runs beside the load.
  std::atomic<load_clock::rep> up_at{0};
  std::thread restart;
  auto end
    = run_fault_load(cs, 12s, &fallback,
                     {{2s,
                       [&] {
                         killed = load_clock::now();
                         c->kill_mariadb();
                       }},
                      {5s,
                       [&] {
                         restart = std::thread([&] {
                           c->start_mariadb();
                           up_at = load_clock::now().time_since_epoch().count();
                         });
                       }}},
                     60s);
  if (restart.joinable())
    restart.join();
  ASSERT_NE(up_at.load(), 0) << "MariaDB did not come back";
  auto up = load_clock::time_point{load_clock::duration{up_at.load()}};
  auto f = tally_faults(cs, history(fallback, room), killed, {up}, end);
  report_and_check("mariadb_sigkill_and_restart", f);
}

TEST(fault_service, redis_sigkilled_and_restarted_under_load) {
  auto c = test_cluster::make(true);
  if (!c)
    GTEST_SKIP() << "H2H_TEST_MYSQL_URL or H2H_TEST_REDIS_URL is not set";
  for (auto id : {"n1", "n2", "n3"})
    c->start(id);
  ASSERT_TRUE(c->wait_nodes(3));
  auto room = room_owned_by("n2", {"n1", "n2", "n3"});
  auto cs = clients(*c, room, {"n1", "n2", "n3"});
  std::uint16_t fallback = c->node("n1").port();
  auto killed = load_clock::now(), up = killed;
  // Away for longer than a registration's TTL: the nodes keep the last
  // known node set and go on serving.
  auto end = run_fault_load(cs, 8s, &fallback,
                            {{2s,
                              [&] {
                                killed = load_clock::now();
                                c->kill_redis();
                              }},
                             {5500ms, [&] {
                                c->start_redis();
                                up = load_clock::now();
                              }}});
  EXPECT_TRUE(c->wait_nodes(3)) << "the nodes registered again";
  auto f = tally_faults(cs, history(fallback, room), killed, {up}, end);
  report_and_check("redis_sigkill_and_restart", f);
  for (auto& cl : cs)
    EXPECT_EQ(cl->reconnects(), 0) << cl->name() << ": nothing moved";
}

} // namespace
