// The push dispatcher on the simulated clock: who is notified, the
// coalescing window, the back-off schedule, the queue bound, token removal.
#define CAF_SUITE push_dispatcher
#include "fixture.hpp"

#include <set>

#include "actors/push/push_dispatcher.hpp"

using namespace h2h;
using namespace std::chrono_literals;

namespace {

/// Records every request; the test answers them.
struct fake_sender : push_sender {
  struct call {
    push_request req;
    std::function<void(push_outcome)> done;
    caf::actor_clock::time_point at;
  };
  std::function<caf::actor_clock::time_point()> now;
  std::vector<call> calls;
  void send(push_request req, std::function<void(push_outcome)> done) override {
    calls.push_back({std::move(req), std::move(done), now()});
  }
};

/// Device tokens in a map; removals recorded.
struct fake_devices : push_devices {
  std::map<std::int64_t, std::vector<std::string>> tokens;
  std::vector<std::pair<std::int64_t, std::string>> removed;
  void lookup(std::int64_t member,
              std::function<void(std::vector<std::string>)> done) override {
    done(tokens[member]);
  }
  void remove(std::int64_t member, const std::string& token) override {
    removed.emplace_back(member, token);
  }
  /// (member, sender) pairs where the member blocks the sender.
  std::set<std::pair<std::int64_t, std::int64_t>> blocks;
  void lookup_for(std::int64_t member, std::int64_t sender,
                  std::function<void(std::vector<std::string>)> done) override {
    if (blocks.count({member, sender}) > 0)
      done({});
    else
      lookup(member, std::move(done));
  }
};

room_event message(std::uint64_t seq, std::string text,
                   std::int64_t sender_id = 1) {
  room_event ev;
  ev.room_id = "r1";
  ev.seq = seq;
  ev.kind = event_kind::message;
  ev.sender = "alice";
  ev.sender_id = sender_id;
  ev.text = std::move(text);
  return ev;
}

struct fixture : test_coordinator_fixture<h2h::actor_config> {
  std::shared_ptr<fake_sender> sender = std::make_shared<fake_sender>();
  std::shared_ptr<fake_devices> devices = std::make_shared<fake_devices>();
  std::shared_ptr<push_metrics> metrics = std::make_shared<push_metrics>();
  push_dispatch_settings cfg;
  push_dispatcher_actor push;

  fixture() {
    sender->now = [this] { return sched.clock().now(); };
    devices->tokens[2] = {"tok-2"};
    devices->tokens[3] = {"tok-3a", "tok-3b"};
    cfg.coalesce = 1000ms;
    cfg.seed = 42;
  }

  void start() {
    push = sys.spawn(push_dispatcher, cfg, sender, devices, metrics);
  }

  void feed(room_event ev, std::vector<std::int64_t> members) {
    caf::anon_send(push, push_atom_v,
                   push_notice{std::move(ev), "Room One", std::move(members)});
    consume_messages();
  }

  void elapse(caf::timespan d) {
    advance_time(d);
    consume_messages();
  }

  void answer(std::size_t i, push_outcome o) {
    sender->calls.at(i).done(std::move(o));
    consume_messages();
  }

  /// Steps the clock by `step` until the sender has `n` calls (at most
  /// `limit`); the time it took.
  caf::timespan until_calls(std::size_t n, caf::timespan limit,
                            caf::timespan step = 10ms) {
    caf::timespan waited{0};
    while (sender->calls.size() < n && waited < limit) {
      elapse(step);
      waited += step;
    }
    return waited;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(push_dispatcher_tests, fixture)

CAF_TEST(members without a session are notified; the sender never is) {
  devices->tokens[1] = {"tok-sender"}; // the sender has a phone too
  start();
  feed(message(1, "hello"), {1, 2, 3});
  CAF_CHECK_EQUAL(sender->calls.size(), 0u); // the window is still open
  elapse(1000ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 3u); // tok-2, tok-3a, tok-3b
  std::vector<std::string> tokens;
  for (auto& c : sender->calls) {
    tokens.push_back(c.req.token);
    CAF_CHECK_EQUAL(c.req.text, "hello");
    CAF_CHECK_EQUAL(c.req.room_name, "Room One");
    CAF_CHECK_EQUAL(c.req.sender_id, 1);
    CAF_CHECK_EQUAL(c.req.seq, 1u);
  }
  std::sort(tokens.begin(), tokens.end());
  CAF_CHECK_EQUAL(tokens,
                  (std::vector<std::string>{"tok-2", "tok-3a", "tok-3b"}));
  for (std::size_t i = 0; i < 3; ++i)
    answer(i, {push_result::ok, -1, "200"});
  CAF_CHECK_EQUAL(metrics->sent.load(), 3u);
}

CAF_TEST(a member is not pushed a message of someone it blocks) {
  devices->blocks.insert({3, 1}); // member 3 blocks alice (1)
  start();
  feed(message(1, "hello"), {2, 3});
  elapse(1000ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 1u);
  CAF_CHECK_EQUAL(sender->calls[0].req.token, "tok-2");
  feed(message(2, "from carol", 4), {2, 3}); // another sender reaches 3
  elapse(1000ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 4u);
}

CAF_TEST(events that are not messages produce no push) {
  start();
  auto ev = message(1, "");
  ev.kind = event_kind::enter;
  feed(ev, {2});
  elapse(2000ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 0u);
}

CAF_TEST(a burst within one window is one push carrying the latest message) {
  start();
  feed(message(1, "m1"), {2});
  for (std::uint64_t s = 2; s <= 20; ++s) {
    elapse(40ms);
    feed(message(s, "m" + std::to_string(s)), {2});
  }
  // 19 * 40 ms = 760 ms: still inside the first window.
  CAF_CHECK_EQUAL(sender->calls.size(), 0u);
  elapse(239ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 0u);
  elapse(1ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 1u);
  CAF_CHECK_EQUAL(sender->calls[0].req.seq, 20u);
  CAF_CHECK_EQUAL(sender->calls[0].req.text, "m20");
  CAF_CHECK_EQUAL(metrics->coalesced.load(), 19u);
  // The next message opens a new window: one more push, a window later.
  feed(message(21, "m21"), {2});
  elapse(999ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 1u);
  elapse(1ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 2u);
  CAF_CHECK_EQUAL(sender->calls[1].req.seq, 21u);
}

CAF_TEST(windows are per member and room) {
  start();
  feed(message(1, "a"), {2});
  auto other = message(1, "b");
  other.room_id = "r2";
  feed(other, {2});
  elapse(1000ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 2u);
  CAF_CHECK_EQUAL(metrics->coalesced.load(), 0u);
}

CAF_TEST(retries back off exponentially with jitter and then give up) {
  cfg.coalesce = 10ms;
  cfg.max_retries = 3;
  cfg.backoff = backoff_policy{1000ms, 3000ms};
  start();
  feed(message(1, "x"), {2});
  elapse(10ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 1u);
  // Ceilings 1 s, 2 s, 3 s (capped); each delay lies in [ceiling/2, ceiling].
  std::vector<caf::timespan> ceilings{1000ms, 2000ms, 3000ms};
  for (std::size_t i = 0; i < ceilings.size(); ++i) {
    answer(i, {push_result::retry, -1, "503"});
    auto waited = until_calls(i + 2, 10s, 10ms);
    CAF_REQUIRE_EQUAL(sender->calls.size(), i + 2);
    CAF_MESSAGE("retry " << i + 1 << " after " << waited.count() / 1000000
                         << " ms");
    CAF_CHECK_GREATER_OR_EQUAL(waited, ceilings[i] / 2);
    CAF_CHECK_LESS_OR_EQUAL(waited, ceilings[i] + 10ms);
  }
  answer(3, {push_result::retry, -1, "503"});
  elapse(10s);
  CAF_CHECK_EQUAL(sender->calls.size(), 4u); // 1 try + 3 retries, no more
  CAF_CHECK_EQUAL(metrics->retried.load(), 3u);
  CAF_CHECK_EQUAL(metrics->failed_retries.load(), 1u);
  CAF_CHECK_EQUAL(metrics->sent.load(), 0u);
}

CAF_TEST(retry after is honoured over a shorter back off) {
  cfg.coalesce = 10ms;
  start();
  feed(message(1, "x"), {2});
  elapse(10ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 1u);
  answer(0, {push_result::retry, 30000, "429"});
  elapse(29990ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 1u);
  elapse(10ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 2u);
  answer(1, {push_result::ok, -1, "200"});
  CAF_CHECK_EQUAL(metrics->sent.load(), 1u);
  CAF_CHECK_EQUAL(metrics->retried.load(), 1u);
}

CAF_TEST(a full queue drops the oldest requests and counts them) {
  cfg.coalesce = 10ms;
  cfg.max_in_flight = 1;
  cfg.queue_max = 3;
  devices->tokens[2] = {"t1", "t2", "t3", "t4", "t5"};
  start();
  feed(message(1, "x"), {2});
  elapse(10ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 1u); // one in flight at a time
  CAF_CHECK_EQUAL(sender->calls[0].req.token, "t3");
  CAF_CHECK_EQUAL(metrics->dropped.load(), 2u); // t1 and t2, the oldest
  CAF_CHECK_EQUAL(metrics->queue_length.load(), 2);
  answer(0, {push_result::ok, -1, "200"});
  CAF_REQUIRE_EQUAL(sender->calls.size(), 2u);
  CAF_CHECK_EQUAL(sender->calls[1].req.token, "t4");
  answer(1, {push_result::ok, -1, "200"});
  answer(2, {push_result::ok, -1, "200"});
  CAF_CHECK_EQUAL(sender->calls[2].req.token, "t5");
  CAF_CHECK_EQUAL(metrics->sent.load(), 3u);
  CAF_CHECK_EQUAL(metrics->queue_length.load(), 0);
}

CAF_TEST(too many open windows refuse new ones and count them) {
  cfg.queue_max = 2;
  start();
  feed(message(1, "x"), {2, 3, 4});
  CAF_CHECK_EQUAL(metrics->dropped.load(), 1u);
  elapse(1000ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 3u); // tok-2, tok-3a, tok-3b
}

CAF_TEST(a token the provider reports gone is removed from the store) {
  cfg.coalesce = 10ms;
  start();
  feed(message(1, "x"), {3});
  elapse(10ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 2u);
  answer(0, {push_result::token_gone, -1, "404 UNREGISTERED"});
  answer(1, {push_result::ok, -1, "200"});
  CAF_REQUIRE_EQUAL(devices->removed.size(), 1u);
  CAF_CHECK_EQUAL(devices->removed[0].first, 3);
  CAF_CHECK_EQUAL(devices->removed[0].second, sender->calls[0].req.token);
  CAF_CHECK_EQUAL(metrics->tokens_removed.load(), 1u);
  CAF_CHECK_EQUAL(metrics->sent.load(), 1u);
  elapse(60s);
  CAF_CHECK_EQUAL(sender->calls.size(), 2u); // gone tokens are not retried
}

CAF_TEST(auth and rejected failures are counted by reason) {
  cfg.coalesce = 10ms;
  start();
  feed(message(1, "x"), {3});
  elapse(10ms);
  CAF_REQUIRE_EQUAL(sender->calls.size(), 2u);
  answer(0, {push_result::auth, -1, "401"});
  answer(1, {push_result::failed, -1, "400"});
  CAF_CHECK_EQUAL(metrics->failed_auth.load(), 1u);
  CAF_CHECK_EQUAL(metrics->failed_rejected.load(), 1u);
  CAF_CHECK_EQUAL(devices->removed.size(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
