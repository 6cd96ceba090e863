// The push dispatcher with the real FCM sender and a real SQLite store
// against a local fake FCM + OAuth2 server: a 503 is retried and delivered
// once, Retry-After is honoured, UNREGISTERED removes the token from the
// store.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "actors/push/push_dispatcher.hpp"
#include "actors/push/store_devices.hpp"
#include "actors/store/store_pool.hpp"
#include "actors/vocabulary/types.hpp"
#include "fake_google.hpp"
#include "net/outbound/fcm_sender.hpp"
#include "persistence/sql/sql.hpp"
#include "persistence/sql/sql_store.hpp"

using namespace h2h;
using namespace std::chrono_literals;

namespace {

/// Checks `pred` every 10 ms until it holds or `limit` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

struct PushDelivery : ::testing::Test {
  test::fake_google google;
  std::string dir;
  std::unique_ptr<store> db;
  std::unique_ptr<store_pool> pool;
  std::shared_ptr<push_metrics> metrics = std::make_shared<push_metrics>();
  std::shared_ptr<net::fcm_sender> sender;
  actor_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  push_dispatcher_actor push;
  std::int64_t member = 0;

  PushDelivery() {
    char tmpl[] = "/tmp/h2h-push-test-XXXXXX";
    dir = mkdtemp(tmpl);
    auto path = dir + "/h2h.db";
    db = make_sql_store(sql::open_sqlite(path));
    db->migrate();
    member = *db->create_member(
      {0, "bob@example.org", "Bob", "bob", "not-a-hash", "", 1});
    pool = std::make_unique<store_pool>(
      [path]() -> std::unique_ptr<store> {
        auto s = make_sql_store(sql::open_sqlite(path));
        s->migrate();
        return s;
      },
      1, 64, "push-test-db");
    net::fcm_settings fs;
    fs.endpoint = google.server.url();
    fs.timeout = 5000ms;
    sender = std::make_shared<net::fcm_sender>(google.account(), fs);
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  void start(push_dispatch_settings s = {}) {
    s.coalesce = 20ms;
    s.backoff = backoff_policy{50ms, 400ms};
    push = sys->spawn(push_dispatcher, s, sender, make_store_devices(*pool),
                      metrics);
  }

  ~PushDelivery() override {
    caf::anon_send_exit(push, caf::exit_reason::user_shutdown);
    push = nullptr;
    sender->stop();
    sys.reset();
    pool->stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  void add_device(const std::string& token) {
    db->put_device({token, member, "android"});
  }

  void notify(std::uint64_t seq, std::string text) {
    room_event ev;
    ev.room_id = "room-7";
    ev.seq = seq;
    ev.sender = "alice";
    ev.sender_id = member + 1;
    ev.text = std::move(text);
    caf::anon_send(push, push_atom_v, push_notice{ev, "Family", {member}});
  }

  /// True when more than `n` posts reach FCM within `limit`.
  bool more_posts_than(std::size_t n, std::chrono::milliseconds limit) {
    return google.server.wait_for(
      [n](const std::vector<test::http_request>& seen) {
        std::size_t posts = 0;
        for (auto& r : seen)
          posts += r.target.rfind("/v1/", 0) == 0;
        return posts > n;
      },
      limit);
  }
};

} // namespace

TEST_F(PushDelivery, A503ThenA200IsRetriedAndDeliveredOnce) {
  add_device("dev-a");
  google.script(503);
  start();
  notify(1, "hello");
  ASSERT_TRUE(eventually([&] { return metrics->sent.load() == 1; }));
  EXPECT_EQ(metrics->retried.load(), 1u);
  auto p = google.server.requests_to("/v1/");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].body, p[1].body);
  // Nothing more goes out for this message.
  EXPECT_FALSE(more_posts_than(2, 300ms));
  EXPECT_EQ(metrics->sent.load(), 1u);
}

TEST_F(PushDelivery, RetryAfterIsHonoured) {
  add_device("dev-a");
  google.script(503, "", {{"Retry-After", "1"}});
  start();
  notify(1, "hello");
  ASSERT_TRUE(eventually([&] { return metrics->sent.load() == 1; }));
  auto p = google.server.requests_to("/v1/");
  ASSERT_EQ(p.size(), 2u);
  // Our own back-off would have waited at most 50 ms.
  EXPECT_GE(p[1].at - p[0].at, 1000ms);
}

TEST_F(PushDelivery, UnregisteredRemovesTheTokenFromTheStore) {
  add_device("dev-gone");
  add_device("dev-ok");
  google.gone_devices = {"dev-gone"};
  start();
  notify(1, "hello");
  ASSERT_TRUE(eventually([&] { return db->devices_of(member).size() == 1; }));
  auto left = db->devices_of(member);
  EXPECT_EQ(left[0].token, "dev-ok");
  EXPECT_TRUE(eventually([&] { return metrics->sent.load() == 1; }));
  EXPECT_EQ(metrics->tokens_removed.load(), 1u);
  EXPECT_EQ(metrics->retried.load(), 0u);
}

TEST_F(PushDelivery, ABurstIsOnePushPerWindow) {
  add_device("dev-a");
  push_dispatch_settings s;
  start(s);
  for (std::uint64_t i = 1; i <= 20; ++i)
    notify(i, "m" + std::to_string(i));
  ASSERT_TRUE(eventually([&] { return metrics->sent.load() >= 1; }));
  // The 20 messages arrive well within one 20 ms window or spill into a
  // second: never one push per message.
  EXPECT_FALSE(more_posts_than(2, 300ms));
  EXPECT_GE(metrics->coalesced.load(), 18u);
  auto last = google.server.requests_to("/v1/").back();
  EXPECT_NE(last.body.find("\"seq\":\"20\""), std::string::npos) << last.body;
}
