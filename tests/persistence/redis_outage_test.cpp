// The Redis node registry against redis-servers of the test's own (down,
// hung, restarted, with a password, keyspace events or an ACL), and the
// SIGPIPE guard its writes run under. 127.0.0.1 only, every wait bounded.
#include "persistence/registry/node_registry.hpp"
#include "persistence/registry/sigpipe_guard.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

namespace h2h {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using test::has;
using test::node;
using test::random_prefix;

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
