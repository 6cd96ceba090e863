// The Redis node registry against a real Redis: H2H_TEST_REDIS_URL's, or a
// redis-server the test starts itself. 127.0.0.1 only, every wait bounded.
#include "persistence/registry/node_registry.hpp"
#include "persistence/registry/sigpipe_guard.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

namespace h2h {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

std::string random_prefix() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> d;
  char buf[32];
  std::snprintf(buf, sizeof buf, "h2htest-%016llx",
                static_cast<unsigned long long>(d(rd)));
  return buf;
}

node_record node(const std::string& id, std::uint16_t cluster_port = 4242) {
  node_record r;
  r.id = id;
  r.host = "127.0.0.1";
  r.cluster_port = cluster_port;
  r.public_port = 8080;
  r.admin_port = 8081;
  r.metrics_port = 9100;
  r.started_ms
    = duration_cast<milliseconds>(system_clock::now().time_since_epoch())
        .count();
  return r;
}

bool has(const std::vector<node_record>& nodes, const std::string& id) {
  return std::any_of(nodes.begin(), nodes.end(),
                     [&](const node_record& n) { return n.id == id; });
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
    auto addr = parse_redis_url(settings_.url);
    if (!addr)
      throw std::runtime_error("bad H2H_TEST_REDIS_URL");
    return test::resp_command(addr->port, args, addr->password, addr->db);
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

TEST_F(RedisRegistry, ABurstOfChangesWakesAWatcherOnce) {
  auto watch = make_redis_watch(settings_);
  EXPECT_FALSE(watch->wait_change(0ms));
  auto channel = settings_.key_prefix + ":nodes";
  std::vector<std::vector<std::string>> publishes;
  for (int i = 0; i < 5; ++i)
    publishes.push_back({"PUBLISH", channel, "up n" + std::to_string(i)});
  auto addr = parse_redis_url(settings_.url);
  ASSERT_TRUE(addr);
  test::resp_pipeline(addr->port, publishes, addr->password, addr->db);
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

// No H2H_TEST_REDIS_URL needed: nothing listens, or the test's own server.
TEST(RedisRegistryOutage, AnUnreachableRedisFailsQuickly) {
  redis_settings s;
  s.url = "redis://127.0.0.1:" + std::to_string(test::free_port());
  s.key_prefix = random_prefix();
  auto reg = make_redis_registry(s);
  auto watch = make_redis_watch(s);
  auto t0 = steady_clock::now();
  EXPECT_THROW(reg->announce(node("n"), 1s), registry_error);
  EXPECT_THROW(reg->scan(), registry_error);
  EXPECT_THROW(reg->withdraw("n"), registry_error);
  EXPECT_THROW(watch->wait_change(1s), registry_error);
  EXPECT_LT(steady_clock::now() - t0, 2s);
  try {
    reg->scan();
  } catch (const registry_error& e) {
    EXPECT_NE(std::string{e.what()}.find(s.url.substr(8)), std::string::npos)
      << e.what();
  }
}

TEST(RedisRegistryOutage, ARegistrySurvivesARedisRestart) {
  test::redis_server server;
  server.start();
  redis_settings s;
  s.url = server.url();
  s.key_prefix = random_prefix();
  s.timeout = 500ms;
  auto reg = make_redis_registry(s);
  auto watch = make_redis_watch(s);
  reg->announce(node("n"), 10s);
  EXPECT_FALSE(watch->wait_change(0ms));

  server.kill();
  auto t0 = steady_clock::now();
  EXPECT_THROW(reg->announce(node("n"), 10s), registry_error);
  EXPECT_THROW(reg->announce(node("n"), 10s), registry_error);
  EXPECT_THROW(watch->wait_change(2s), registry_error);
  EXPECT_THROW(watch->wait_change(2s), registry_error);
  EXPECT_LT(steady_clock::now() - t0, 2s);

  server.start(); // same port, empty: the key is gone
  EXPECT_TRUE(watch->wait_change(0ms)) << "re-subscribed: may have missed news";
  EXPECT_TRUE(reg->scan().empty());
  reg->announce(node("n"), 10s);
  EXPECT_TRUE(has(reg->scan(), "n"));
  EXPECT_TRUE(watch->wait_change(2s)) << "the first announcement after a "
                                         "failure says \"up\" again";
}

TEST(RedisRegistryOutage, AHungRedisIsDetectedWithinTheTimeout) {
  test::redis_server server;
  server.start();
  redis_settings s;
  s.url = server.url();
  s.key_prefix = random_prefix();
  s.timeout = 300ms;
  auto reg = make_redis_registry(s);
  auto watch = make_redis_watch(s);
  reg->announce(node("n"), 10s);
  EXPECT_FALSE(watch->wait_change(0ms));

  server.pause(); // connections stay open; nothing answers
  auto t0 = steady_clock::now();
  try {
    reg->announce(node("n"), 10s);
    ADD_FAILURE() << "announce to a hung Redis returned";
  } catch (const registry_error& e) {
    EXPECT_NE(std::string{e.what()}.find("timed out"), std::string::npos)
      << e.what();
  }
  EXPECT_LT(steady_clock::now() - t0, 1s);
  // An idle subscriber hears nothing either way: its PING tells.
  t0 = steady_clock::now();
  EXPECT_THROW(
    {
      while (!watch->wait_change(100ms) && steady_clock::now() - t0 < 5s) {
      }
    },
    registry_error);
  EXPECT_LT(steady_clock::now() - t0, 1s);

  server.resume();
  reg->announce(node("n"), 10s);
  EXPECT_TRUE(has(reg->scan(), "n"));
  EXPECT_TRUE(watch->wait_change(0ms)) << "re-subscribed after the loss";
}

TEST(RedisRegistryAuth, TheUrlsCredentialsAndDatabaseAreUsed) {
  test::redis_server server({"--requirepass", "sekrit-pw"});
  server.start();
  auto at = [&](const std::string& credentials, int db) {
    redis_settings s;
    s.url = "redis://" + credentials + "127.0.0.1:"
            + std::to_string(server.port()) + "/" + std::to_string(db);
    s.key_prefix = "auth";
    return make_redis_registry(s);
  };
  for (const auto& wrong : {std::string{}, std::string{":wrong-pw@"},
                            std::string{"default:wrong-pw@"}}) {
    try {
      at(wrong, 0)->scan();
      ADD_FAILURE() << "scan without the password worked: " << wrong;
    } catch (const registry_error& e) {
      std::string what = e.what();
      EXPECT_EQ(what.find("wrong-pw"), std::string::npos) << what;
      EXPECT_EQ(what.find("sekrit"), std::string::npos) << what;
    }
  }
  auto in_db_2 = at(":sekrit-pw@", 2);
  in_db_2->announce(node("n"), 10s);
  EXPECT_TRUE(has(in_db_2->scan(), "n"));
  // A user name too (Redis 6 ACL): the default user has the password.
  EXPECT_TRUE(has(at("default:sekrit-pw@", 2)->scan(), "n"));
  EXPECT_TRUE(at("default:sekrit-pw@", 0)->scan().empty())
    << "database 0 is not database 2";
}

// Where Redis sends keyspace events (notify-keyspace-events), a node whose
// key expires wakes the watchers at once instead of at the next rescan.
TEST(RedisRegistryKeyspace, AnExpiryWakesAWatcherWhenRedisReportsIt) {
  test::redis_server server({"--notify-keyspace-events", "KA"});
  server.start();
  redis_settings s;
  s.url = server.url() + "/3";
  s.key_prefix = random_prefix();
  auto reg = make_redis_registry(s);
  auto watch = make_redis_watch(s);
  reg->announce(node("brief"), 300ms);
  reg->announce(node("other"), 10s);
  EXPECT_FALSE(watch->wait_change(0ms)); // subscribes after both "up"s
  reg->announce(node("other"), 10s);     // a refresh: "set", "expire"
  EXPECT_FALSE(watch->wait_change(100ms)) << "a refresh is no change";
  auto t0 = steady_clock::now();
  EXPECT_TRUE(watch->wait_change(3s)) << "no wake-up for the expiry";
  EXPECT_LT(steady_clock::now() - t0, 3s);
  EXPECT_FALSE(has(reg->scan(), "brief"));
  // A key of another prefix expiring is not ours.
  redis_settings other = s;
  other.key_prefix = random_prefix();
  make_redis_registry(other)->announce(node("x"), 100ms);
  EXPECT_FALSE(watch->wait_change(1s));
}

// An ACL may allow the registry's channel but not keyspace events: the watch
// then goes on with the channel alone.
TEST(RedisRegistryKeyspace, AWatchWorksWhereKeyspaceEventsAreRefused) {
  test::redis_server server(
    {"--user", "watcher", "on", ">pw", "~*", "&acl:*", "+@all"});
  server.start();
  redis_settings s;
  s.url = "redis://watcher:pw@127.0.0.1:" + std::to_string(server.port());
  s.key_prefix = "acl";
  auto reg = make_redis_registry(s);
  auto watch = make_redis_watch(s);
  EXPECT_FALSE(watch->wait_change(0ms));
  reg->announce(node("n"), 10s);
  EXPECT_TRUE(watch->wait_change(2s));
  reg->withdraw("n");
  EXPECT_TRUE(watch->wait_change(2s));
}

// hiredis writes with write(2): unguarded, a write to a connection Redis
// reset would kill the node.
void write_to_closed_socket(bool guarded, int* error = nullptr) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
    std::abort();
  ::close(fds[1]);
  std::optional<sigpipe_guard> guard;
  if (guarded)
    guard.emplace();
  auto n = ::write(fds[0], "x", 1);
  if (error)
    *error = n < 0 ? errno : 0;
  ::close(fds[0]);
}

TEST(SigpipeGuard, AnUnguardedWriteToAClosedSocketKillsTheProcess) {
  EXPECT_EXIT(
    {
      write_to_closed_socket(false);
      std::exit(0);
    },
    ::testing::KilledBySignal(SIGPIPE), "");
}

TEST(SigpipeGuard, AGuardedWriteFailsWithEpipeAndLeavesNoSignalPending) {
  int error = 0;
  write_to_closed_socket(true, &error);
  EXPECT_EQ(error, EPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_EQ(sigismember(&mask, SIGPIPE), 0) << "the mask is restored";
}

} // namespace
} // namespace h2h
