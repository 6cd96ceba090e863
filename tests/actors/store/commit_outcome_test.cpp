// Each appended event has its own outcome: a seq conflict, a deleted room
// or a value the store cannot hold refuses that event alone; a room that
// meets a conflict catches up with the store; a deleted room stays deleted.
#define CAF_SUITE commit_outcome
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;
using namespace std::chrono_literals;

namespace {

room_event ev(std::string room, std::uint64_t seq, std::string text,
              std::string sender = "alice") {
  room_event e;
  e.room_id = std::move(room);
  e.seq = seq;
  e.sender = std::move(sender);
  e.text = std::move(text);
  e.ts_ms = 1000 + static_cast<std::int64_t>(seq);
  return e;
}

/// Batches of three (or what came within 100 ms), so that one batch holds
/// the events of several rooms.
struct outcome_fixture : node_fixture {
  outcome_fixture()
    : node_fixture(3, 100ms) {
  }

  /// Another connection to the node's database: a stale owner elsewhere,
  /// or the REST API.
  std::unique_ptr<store> other_writer() {
    auto db = make_sql_store(sql::open_sqlite(scratch.path + "/h2h.db"));
    db->migrate();
    return db;
  }

  /// What the persistence actor answered to each of `events`, appended in
  /// one go: "seq N" or the error's code.
  std::vector<std::string> append_all(const std::vector<room_event>& events) {
    std::vector<decltype(self->request(persist, caf::infinite, append_atom_v,
                                       events[0]))>
      handles;
    for (auto& e : events)
      handles.push_back(
        self->request(persist, caf::infinite, append_atom_v, e));
    consume_messages();
    advance_time(100ms); // a batch short of three waits for its window
    consume_messages();
    std::vector<std::string> out;
    for (auto& h : handles)
      h.receive(
        [&](publish_ack& a) { out.push_back("seq " + std::to_string(a.seq)); },
        [&](caf::error& err) {
          out.push_back(std::string{describe(to_errc(err)).code});
        });
    return out;
  }

  std::vector<std::string> stored(const std::string& room) {
    std::vector<std::string> out;
    for (auto& e : other_writer()->after(room, 0, 1000))
      out.push_back(e.text);
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(commit_outcome, outcome_fixture)

CAF_TEST(a seq conflict in one room does not fail the rest of the batch) {
  other_writer()->append({ev("r1", 1, "the stale owner's")});
  auto answers = append_all(
    {ev("r2", 1, "fine"), ev("r1", 1, "mine"), ev("r3", 1, "fine too")});
  CAF_CHECK_EQUAL(answers,
                  (std::vector<std::string>{"seq 1", "CHAT_006", "seq 1"}));
  CAF_CHECK_EQUAL(stored("r1"),
                  (std::vector<std::string>{"the stale owner's"}));
  CAF_CHECK_EQUAL(stored("r2"), (std::vector<std::string>{"fine"}));
  CAF_CHECK_EQUAL(stored("r3"), (std::vector<std::string>{"fine too"}));
  CAF_CHECK_EQUAL(env->metrics->commit_retries.load(), 0u);
}

CAF_TEST(an event the store cannot hold is refused alone and never retried) {
  auto answers
    = append_all({ev("r1", 1, "fine"),
                  ev("r1", 2, "too long a sender", std::string(65, 's')),
                  ev("r1", 3, "fine too")});
  CAF_CHECK_EQUAL(answers,
                  (std::vector<std::string>{"seq 1", "CHAT_004", "seq 3"}));
  CAF_CHECK_EQUAL(stored("r1"), (std::vector<std::string>{"fine", "fine too"}));
  CAF_CHECK_EQUAL(env->metrics->commit_retries.load(), 0u);
  CAF_CHECK(env->metrics->store_ok.load());
  // The queue moves on.
  CAF_CHECK_EQUAL(append_all({ev("r1", 4, "next")}),
                  (std::vector<std::string>{"seq 4"}));
}

CAF_TEST(a room that meets a conflict catches up and sends the message again) {
  env->idle_timeout = std::chrono::hours{1};
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  advance_time(100ms);
  consume_messages(); // seq 1: alice's ENTER
  // A stale owner elsewhere wrote seqs 2 and 3.
  other_writer()->append(
    {ev("r1", 2, "theirs"), ev("r1", 3, "theirs too", "mallory")});
  frame(a, cmd_message("r1", "alice", "mine", "c-1"));
  advance_time(100ms);
  consume_messages();
  advance_time(100ms); // the second commit window: the message again
  consume_messages();
  // The room hands alice the other writer's events (nothing she sees is
  // unstored, nothing is skipped) and sends hers again above them.
  CAF_CHECK(a.link->errors.empty());
  CAF_CHECK_EQUAL(texts(*a.link),
                  (std::vector<std::string>{"theirs", "theirs too", "mine"}));
  CAF_CHECK_EQUAL(a.link->seqs("r1"), range(1, 4));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(a.link->acks[0].seq, 4u);
  CAF_CHECK_EQUAL(stored("r1"),
                  (std::vector<std::string>{"alice entered.", "theirs",
                                            "theirs too", "mine"}));
}

CAF_TEST(sends that arrive while the room reloads wait and follow the store) {
  env->idle_timeout = std::chrono::hours{1};
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  advance_time(100ms);
  consume_messages(); // seqs 1 and 2
  auto r1 = room_of("r1");
  other_writer()->append({ev("r1", 3, "theirs"), ev("r1", 4, "theirs too")});
  caf::anon_send(a.actor, cmd_message("r1", "alice", "mine", "c-1"));
  expect((client_command), to(a.actor));
  expect((caf::publish_atom, publish_request), to(r1));
  expect((append_atom, room_event), to(persist));
  advance_time(100ms);
  expect((window_atom, std::uint64_t), to(persist));
  expect((commit_atom, stored_events), to(writer()));
  expect((std::vector<publish_ack>), from(writer()).to(persist));
  expect((caf::error), from(persist).to(r1));
  // The room asks the store where it stands; bob speaks meanwhile.
  expect((load_atom, std::string, std::uint64_t), from(r1).to(persist));
  caf::anon_send(b.actor, cmd_message("r1", "bob", "waits", "c-2"));
  expect((client_command), to(b.actor));
  expect((caf::publish_atom, publish_request), to(r1));
  consume_messages();
  advance_time(100ms);
  consume_messages();
  // Alice's message, which lost its seq, goes first again; bob's follows.
  CAF_CHECK(a.link->errors.empty());
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(a.link->acks[0].seq, 5u);
  CAF_REQUIRE_EQUAL(b.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(b.link->acks[0].seq, 6u);
  CAF_CHECK(b.link->errors.empty());
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(1, 6));
  CAF_CHECK_EQUAL(stored("r1"), (std::vector<std::string>{
                                  "alice entered.", "bob entered.", "theirs",
                                  "theirs too", "mine", "waits"}));
}

CAF_TEST(a deleted room refuses its queued appends and never comes back) {
  env->idle_timeout = std::chrono::hours{1};
  auto a = connect();
  frame(a, cmd_enter("gone", "alice"));
  advance_time(100ms);
  consume_messages();
  // The store is down: alice's message waits in the persistence queue.
  *failing_commits = 1000;
  frame(a, cmd_message("gone", "alice", "queued", "c-1"));
  advance_time(100ms);
  consume_messages();
  CAF_CHECK(a.link->acks.empty());
  // DELETE /chat/room/gone: the store first, then the running room.
  CAF_REQUIRE(other_writer()->delete_room("gone"));
  caf::anon_send(dir, change_atom_v,
                 room_change{"gone", room_change_kind::deleted, 0});
  consume_messages();
  *failing_commits = 0;
  advance_time(pcfg.retry_max);
  consume_messages();
  CAF_CHECK(a.link->acks.empty());
  auto c = codes(*a.link);
  CAF_CHECK(std::count(c.begin(), c.end(), errc::no_such_room) >= 1);
  CAF_CHECK(stored("gone").empty()); // the queued append never came back
  // An ENTER of the id is refused and creates nothing.
  auto b = connect();
  frame(b, cmd_enter("gone", "bob"));
  advance_time(100ms);
  consume_messages();
  CAF_CHECK_EQUAL(codes(*b.link), (std::vector<errc>{errc::no_such_room}));
  CAF_CHECK(b.link->events.empty());
  CAF_CHECK(stored("gone").empty());
  CAF_CHECK(!other_writer()->room_exists("gone"));
  frame(b, cmd_message("gone", "bob", "hello?", "c-2"));
  CAF_CHECK(b.link->acks.empty());
  CAF_CHECK(stored("gone").empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
