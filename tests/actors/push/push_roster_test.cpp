// The push dispatcher fed by rooms (push_commit): absent members come from
// the room's roster (read through push_devices, cached, forgotten on a
// membership change), never the members present nor the sender.
#define CAF_SUITE push_roster
#include "fixture.hpp"

#include "actors/push/push_dispatcher.hpp"

using namespace h2h;
using namespace std::chrono_literals;

namespace {

/// Records requests; the test never answers them (counting is enough).
struct fake_sender : push_sender {
  std::vector<push_request> calls;
  void send(push_request req, std::function<void(push_outcome)>) override {
    calls.push_back(std::move(req));
  }
};

/// Every member has one token "tok-<id>"; rosters are answered by the test.
struct fake_store : push_devices {
  std::map<std::string, push_roster> rooms;
  std::vector<
    std::pair<std::string, std::function<void(std::optional<push_roster>)>>>
    roster_calls;
  void lookup(std::int64_t member,
              std::function<void(std::vector<std::string>)> done) override {
    done({"tok-" + std::to_string(member)});
  }
  void remove(std::int64_t, const std::string&) override {
  }
  void roster(const std::string& room,
              std::function<void(std::optional<push_roster>)> done) override {
    roster_calls.emplace_back(room, std::move(done));
  }
  /// Answers the oldest roster call from `rooms` (nullopt: a failure).
  void answer(bool ok = true) {
    auto [room, done] = std::move(roster_calls.front());
    roster_calls.erase(roster_calls.begin());
    if (ok && rooms.count(room))
      done(rooms[room]);
    else
      done(std::nullopt);
  }
};

event_ptr message(std::uint64_t seq, std::int64_t sender_id = 1,
                  std::string room = "r1") {
  room_event ev;
  ev.room_id = std::move(room);
  ev.seq = seq;
  ev.kind = event_kind::message;
  ev.sender = "alice";
  ev.sender_id = sender_id;
  ev.text = "hi " + std::to_string(seq);
  return make_event(std::move(ev));
}

struct fixture : test_coordinator_fixture<h2h::actor_config> {
  std::shared_ptr<fake_sender> sender = std::make_shared<fake_sender>();
  std::shared_ptr<fake_store> store = std::make_shared<fake_store>();
  std::shared_ptr<push_metrics> metrics = std::make_shared<push_metrics>();
  push_dispatch_settings cfg;
  push_dispatcher_actor push;

  fixture() {
    cfg.coalesce = 1000ms;
    cfg.roster_ttl = 60s;
    cfg.seed = 7;
    store->rooms["r1"] = push_roster{"Room One", {1, 2, 3, 4}};
    push = sys.spawn(push_dispatcher, cfg, sender, store, metrics);
  }

  void commit(event_ptr ev, std::vector<std::int64_t> present) {
    caf::anon_send(push, push_atom_v, push_commit{ev, std::move(present)});
    consume_messages();
  }

  void answer_roster(bool ok = true) {
    store->answer(ok);
    consume_messages();
  }

  void elapse(caf::timespan d) {
    advance_time(d);
    consume_messages();
  }

  std::vector<std::string> tokens() const {
    std::vector<std::string> out;
    for (auto& r : sender->calls)
      out.push_back(r.token);
    std::sort(out.begin(), out.end());
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(push_roster_tests, fixture)

CAF_TEST(the absent members of the roster are notified;
         present ones and the sender not ) {
  commit(message(1, 1), {1, 3}); // the sender (1) and member 3 are present
  CAF_REQUIRE_EQUAL(store->roster_calls.size(), 1u);
  CAF_CHECK_EQUAL(store->roster_calls[0].first, "r1");
  answer_roster();
  elapse(1000ms);
  CAF_CHECK_EQUAL(tokens(), (std::vector<std::string>{"tok-2", "tok-4"}));
  for (auto& r : sender->calls) {
    CAF_CHECK_EQUAL(r.room_name, "Room One");
    CAF_CHECK_EQUAL(r.seq, 1u);
  }
}

CAF_TEST(an absent sender is still never notified) {
  // An HTTP POST has no session in the room: its sender is not present.
  commit(message(1, 2), {});
  answer_roster();
  elapse(1000ms);
  CAF_CHECK_EQUAL(tokens(),
                  (std::vector<std::string>{"tok-1", "tok-3", "tok-4"}));
}

CAF_TEST(the roster is read once per room and kept) {
  commit(message(1), {1});
  answer_roster();
  for (std::uint64_t s = 2; s <= 20; ++s)
    commit(message(s), {1});
  CAF_CHECK_EQUAL(store->roster_calls.size(), 0u); // no further reads
  elapse(1000ms);
  // One push per absent member for the whole burst, with the latest text.
  CAF_CHECK_EQUAL(tokens(),
                  (std::vector<std::string>{"tok-2", "tok-3", "tok-4"}));
  for (auto& r : sender->calls)
    CAF_CHECK_EQUAL(r.seq, 20u);
  CAF_CHECK_EQUAL(metrics->coalesced.load(), 19u * 3u);
}

CAF_TEST(commits that arrive while the roster is read wait for it) {
  commit(message(1), {1});
  commit(message(2), {1, 2});
  CAF_CHECK_EQUAL(store->roster_calls.size(), 1u); // one read for both
  CAF_CHECK_EQUAL(metrics->queue_length.load(), 0);
  answer_roster();
  elapse(1000ms);
  // Member 2 was absent for seq 1, so their push is due; 3 and 4 get seq 2.
  CAF_CHECK_EQUAL(tokens(),
                  (std::vector<std::string>{"tok-2", "tok-3", "tok-4"}));
}

CAF_TEST(a membership change makes the roster read again) {
  commit(message(1), {1});
  answer_roster();
  elapse(1000ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 3u);
  store->rooms["r1"].members.push_back(5);
  caf::anon_send(push, pforget_atom_v, std::string{"r1"});
  consume_messages();
  commit(message(2), {1});
  CAF_REQUIRE_EQUAL(store->roster_calls.size(), 1u);
  answer_roster();
  elapse(1000ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 7u);
  CAF_CHECK_EQUAL(sender->calls.back().token, "tok-5");
}

CAF_TEST(a roster older than the ttl is read again) {
  commit(message(1), {1});
  answer_roster();
  elapse(61s);
  commit(message(2), {1});
  CAF_CHECK_EQUAL(store->roster_calls.size(), 1u);
}

CAF_TEST(a member present but missing from the roster joins it) {
  // Entering a public room makes a member; the store may not have said so.
  commit(message(1), {1, 9});
  answer_roster();
  elapse(1000ms);
  sender->calls.clear();
  commit(message(2), {1}); // 9 left: they are absent now
  elapse(1000ms);
  CAF_CHECK_EQUAL(
    tokens(), (std::vector<std::string>{"tok-2", "tok-3", "tok-4", "tok-9"}));
}

CAF_TEST(a failed roster read drops those pushes and counts them) {
  commit(message(1), {1});
  commit(message(2), {1});
  answer_roster(false);
  elapse(1000ms);
  CAF_CHECK_EQUAL(sender->calls.size(), 0u);
  CAF_CHECK_EQUAL(metrics->dropped.load(), 2u);
  commit(message(3), {1}); // not kept: read again
  CAF_CHECK_EQUAL(store->roster_calls.size(), 1u);
}

CAF_TEST(other events than messages are not looked at) {
  auto ev = message(1)->data();
  ev.kind = event_kind::enter;
  commit(make_event(ev), {1});
  CAF_CHECK_EQUAL(store->roster_calls.size(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
