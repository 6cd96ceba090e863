// The Redis node registry against H2H_TEST_REDIS_URL's Redis, each test
// under a prefix of its own. 127.0.0.1 only, every wait bounded.
#include "config/redis_url.hpp"
#include "persistence/registry/node_registry.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace h2h {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using test::has;
using test::node;
using test::random_prefix;

/// H2H_TEST_REDIS_URL's parts, for writing to the test server directly.
config::redis_target test_address(const std::string& url) {
  config::redis_target t;
  std::string why;
  if (!config::parse_redis_url(url, t, why))
    throw std::runtime_error("bad H2H_TEST_REDIS_URL: " + why);
  return t;
}

// Each test works under a random prefix of the shared test server.
class RedisRegistry : public ::testing::Test {
protected:
  void SetUp() override {
    const char* url = std::getenv("H2H_TEST_REDIS_URL");
    if (!url || !*url)
      GTEST_SKIP() << "H2H_TEST_REDIS_URL is not set (scripts/redis.sh)";
    settings_.url = url;
    settings_.key_prefix = random_prefix();
    settings_.timeout = 1000ms;
  }

  // Writes what no registry would, straight to the test server.
  std::string raw(const std::vector<std::string>& args) {
    auto addr = test_address(settings_.url);
    return test::resp_command(addr.port, args, addr.password, addr.db);
  }

  redis_settings settings_;
};

TEST_F(RedisRegistry, AnAnnouncedNodeIsFoundByScan) {
  auto reg = make_redis_registry(settings_);
  auto a = node("a", 4001);
  auto b = node("b", 4002);
  reg->announce(a, 10s);
  reg->announce(b, 10s);
  auto other = make_redis_registry(settings_);
  auto nodes = other->scan();
  std::sort(nodes.begin(), nodes.end(),
            [](const auto& x, const auto& y) { return x.id < y.id; });
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0], a);
  EXPECT_EQ(nodes[1], b);
  // Under the key and value the registry documents.
  EXPECT_EQ(raw({"GET", settings_.key_prefix + ":node:a"}).front(), '$');
  reg->withdraw("a");
  reg->withdraw("b");
}

TEST_F(RedisRegistry, ANodeThatStopsAnnouncingExpires) {
  auto reg = make_redis_registry(settings_);
  reg->announce(node("brief"), 300ms);
  ASSERT_TRUE(has(reg->scan(), "brief"));
  auto deadline = steady_clock::now() + 3s;
  bool gone = false;
  while (!gone && steady_clock::now() < deadline) {
    gone = !has(reg->scan(), "brief");
    if (!gone)
      std::this_thread::sleep_for(50ms); // Redis expires it on its own time
  }
  EXPECT_TRUE(gone) << "still registered 3 s after a 300 ms TTL";
}

TEST_F(RedisRegistry, AnAnnouncementRefreshesTheTtl) {
  auto reg = make_redis_registry(settings_);
  auto pttl = [&] {
    auto reply = raw({"PTTL", settings_.key_prefix + ":node:n"});
    EXPECT_EQ(reply.front(), ':') << reply;
    return std::stoll(reply.substr(1));
  };
  reg->announce(node("n"), 2s);
  auto first = pttl();
  EXPECT_GT(first, 0);
  EXPECT_LE(first, 2000);
  reg->announce(node("n"), 10s);
  auto second = pttl();
  EXPECT_GT(second, 9000);
  EXPECT_LE(second, 10000);
  reg->withdraw("n");
  EXPECT_EQ(pttl(), -2) << "withdrawn: no key";
}

TEST_F(RedisRegistry, WithdrawRemovesTheNodeAndWakesAWatcher) {
  auto reg = make_redis_registry(settings_);
  auto watch = make_redis_watch(settings_);
  reg->announce(node("leaving"), 10s);
  EXPECT_FALSE(watch->wait_change(0ms)); // subscribes; the "up" came before
  reg->withdraw("leaving");
  auto t0 = steady_clock::now();
  EXPECT_TRUE(watch->wait_change(2s));
  EXPECT_LT(steady_clock::now() - t0, 2s);
  EXPECT_FALSE(has(reg->scan(), "leaving"));
}

TEST_F(RedisRegistry, TheFirstAnnouncementWakesAWatcherAndARefreshDoesNot) {
  auto reg = make_redis_registry(settings_);
  auto watch = make_redis_watch(settings_);
  EXPECT_FALSE(watch->wait_change(0ms));
  reg->announce(node("n"), 10s);
  EXPECT_TRUE(watch->wait_change(2s));
  reg->announce(node("n"), 10s);
  EXPECT_FALSE(watch->wait_change(300ms));
  // After a withdraw, the next announcement is news again.
  reg->withdraw("n");
  EXPECT_TRUE(watch->wait_change(2s));
  reg->announce(node("n"), 10s);
  EXPECT_TRUE(watch->wait_change(2s));
  reg->withdraw("n");
}

TEST_F(RedisRegistry, ANodeThatBeginsToLeaveWakesAWatcherAndStaysListed) {
  auto reg = make_redis_registry(settings_);
  auto watch = make_redis_watch(settings_);
  auto n = node("n");
  reg->announce(n, 10s);
  EXPECT_FALSE(watch->wait_change(0ms)); // subscribes; the "up" came before
  n.leaving = true;
  reg->announce(n, 10s);
  auto t0 = steady_clock::now();
  EXPECT_TRUE(watch->wait_change(2s)) << "the others learn at once";
  EXPECT_LT(steady_clock::now() - t0, 2s);
  reg->announce(n, 10s); // the heartbeat's refresh: no news
  EXPECT_FALSE(watch->wait_change(300ms));
  auto nodes = reg->scan();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_TRUE(nodes[0].leaving);
  reg->withdraw("n");
}

TEST_F(RedisRegistry, ABurstOfChangesWakesAWatcherOnce) {
  auto watch = make_redis_watch(settings_);
  EXPECT_FALSE(watch->wait_change(0ms));
  auto channel = settings_.key_prefix + ":nodes";
  std::vector<std::vector<std::string>> publishes;
  for (int i = 0; i < 5; ++i)
    publishes.push_back({"PUBLISH", channel, "up n" + std::to_string(i)});
  auto addr = test_address(settings_.url);
  test::resp_pipeline(addr.port, publishes, addr.password, addr.db);
  EXPECT_TRUE(watch->wait_change(2s));
  EXPECT_FALSE(watch->wait_change(200ms));
}

TEST_F(RedisRegistry, WaitChangeTimesOutWhenNothingIsPublished) {
  auto watch = make_redis_watch(settings_);
  auto t0 = steady_clock::now();
  EXPECT_FALSE(watch->wait_change(300ms));
  auto took = steady_clock::now() - t0;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
  // A message for another prefix is not a change of ours.
  raw({"PUBLISH", random_prefix() + ":nodes", "up x"});
  EXPECT_FALSE(watch->wait_change(300ms));
}

TEST_F(RedisRegistry, AValueThatIsNotANodeRecordIsSkipped) {
  auto reg = make_redis_registry(settings_);
  reg->announce(node("good"), 10s);
  auto key
    = [&](const char* id) { return settings_.key_prefix + ":node:" + id; };
  ASSERT_EQ(raw({"SET", key("garbage"), "not a record", "PX", "10000"}), "+OK");
  ASSERT_EQ(
    raw({"SET", key("impostor"), encode_node(node("good")), "PX", "10000"}),
    "+OK"); // a record under another node's key
  ASSERT_EQ(raw({"RPUSH", key("list"), "x"}), ":1");
  raw({"PEXPIRE", key("list"), "10000"});
  auto nodes = reg->scan();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].id, "good");
  reg->withdraw("good");
}

TEST_F(RedisRegistry, ABadRecordIsRefusedWithoutTouchingRedis) {
  auto reg = make_redis_registry(settings_);
  auto bad = node("n");
  bad.host = "two words";
  EXPECT_THROW(reg->announce(bad, 10s), registry_error);
  EXPECT_THROW(reg->announce(node("n"), 0ms), registry_error);
  EXPECT_THROW(reg->withdraw("a b"), registry_error);
  EXPECT_TRUE(reg->scan().empty());
}

TEST_F(RedisRegistry, AScanIsBoundedByTheKeysItReads) {
  auto reg = make_redis_registry(settings_);
  // 150 records: more than one SCAN batch and one MGET batch.
  for (int i = 0; i < 150; ++i)
    reg->announce(node("n" + std::to_string(i)), 10s);
  EXPECT_EQ(reg->scan().size(), 150u);
  for (int i = 0; i < 150; ++i)
    reg->withdraw("n" + std::to_string(i));
  EXPECT_TRUE(reg->scan().empty());
}

} // namespace
} // namespace h2h
