// Persistence: batching by count and time, commit before fan-out, retries,
// duplicates across restarts, replay from the store without gap or repeat.
#define CAF_SUITE persistence
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;
using namespace std::chrono_literals;

namespace {

room_event ev(std::uint64_t seq, std::string text = "x") {
  room_event e;
  e.room_id = "r1";
  e.seq = seq;
  e.sender = "alice";
  e.text = std::move(text);
  e.ts_ms = 1000 + static_cast<std::int64_t>(seq);
  return e;
}

/// Batches of at most 3, or whatever arrived within 100 ms.
struct batching_fixture : node_fixture {
  batching_fixture()
    : node_fixture(3, 100ms) {
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(batching, batching_fixture)

CAF_TEST(a batch closes when it holds batch_max messages) {
  auto w = writer();
  self->send(persist, append_atom_v, ev(1));
  self->send(persist, append_atom_v, ev(2));
  expect((append_atom, room_event), to(persist));
  expect((append_atom, room_event), to(persist));
  // Two are waiting for the window: nothing goes to the store yet.
  disallow((commit_atom, stored_events), to(w));
  self->send(persist, append_atom_v, ev(3));
  expect((append_atom, room_event), to(persist));
  expect((commit_atom, stored_events), to(w));
  expect((std::vector<publish_ack>), from(w).to(persist));
  consume_messages();
  CAF_CHECK_EQUAL(env->metrics->batches.load(), 1u);
  CAF_CHECK_EQUAL(env->metrics->batched_messages.load(), 3u);
  std::vector<std::uint64_t> acked;
  for (int i = 0; i < 3; ++i)
    self->receive([&](publish_ack& a) { acked.push_back(a.seq); });
  CAF_CHECK_EQUAL(acked, (std::vector<std::uint64_t>{1, 2, 3}));
}

CAF_TEST(a batch closes when its window ends) {
  auto w = writer();
  self->send(persist, append_atom_v, ev(1));
  self->send(persist, append_atom_v, ev(2));
  consume_messages();
  CAF_CHECK_EQUAL(env->metrics->batches.load(), 0u);
  advance_time(99ms);
  consume_messages();
  CAF_CHECK_EQUAL(env->metrics->batches.load(), 0u);
  advance_time(1ms);
  expect((window_atom, std::uint64_t), to(persist));
  expect((commit_atom, stored_events), to(w));
  consume_messages();
  CAF_CHECK_EQUAL(env->metrics->batches.load(), 1u);
  CAF_CHECK_EQUAL(env->metrics->batched_messages.load(), 2u);
}

CAF_TEST(nobody sees a message before its batch is committed) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  advance_time(100ms);
  consume_messages();
  frame(b, cmd_enter("r1", "bob"));
  advance_time(100ms);
  consume_messages();
  auto before = b.link->events.size();
  frame(a, cmd_message("r1", "alice", "wait for it", "c-1"));
  CAF_CHECK_EQUAL(b.link->events.size(), before);
  CAF_CHECK(a.link->acks.empty());
  advance_time(100ms);
  consume_messages();
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::message),
                  (std::vector<std::string>{"wait for it"}));
  CAF_CHECK_EQUAL(a.link->acks.size(), 1u);
}

CAF_TEST(first entries are recorded a transaction per batch) {
  // A storm of first entries: the first goes at once, the others wait for
  // its answer and go together (one sync, not one per member).
  for (std::int64_t m = 1; m <= 5; ++m)
    self->send(persist, caf::join_atom_v, std::string{m <= 3 ? "r1" : "r2"}, m);
  consume_messages();
  CAF_CHECK_EQUAL(*member_batches, (std::vector<std::size_t>{1, 4}));
  // And flush answers once they are written.
  self->send(persist, flush_atom_v);
  consume_messages();
  self->receive([](bool done) { CAF_CHECK(done); });
  auto db = factory()();
  for (std::int64_t m = 1; m <= 5; ++m)
    CAF_CHECK(db->is_room_member(m <= 3 ? "r1" : "r2", m));
  CAF_CHECK(!db->is_room_member("r2", 1));
}

CAF_TEST(flush commits what waits without waiting for the window) {
  self->send(persist, append_atom_v, ev(1));
  consume_messages();
  auto h = self->request(persist, caf::infinite, flush_atom_v);
  consume_messages();
  bool flushed = false;
  h.receive([&](bool ok) { flushed = ok; },
            [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK(flushed);
  CAF_CHECK_EQUAL(env->metrics->batches.load(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(durability, node_fixture)

CAF_TEST(a failed commit is retried and nothing is acknowledged before) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  *failing_commits = 2;
  frame(a, cmd_message("r1", "alice", "persist me", "c-1"));
  CAF_CHECK(a.link->acks.empty());
  CAF_CHECK(texts(*b.link, event_kind::message).empty());
  CAF_CHECK(!env->metrics->store_ok.load());
  advance_time(pcfg.retry_min); // first retry fails too
  consume_messages();
  CAF_CHECK(a.link->acks.empty());
  CAF_CHECK(texts(*b.link, event_kind::message).empty());
  advance_time(pcfg.retry_min * 2); // second retry succeeds
  consume_messages();
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::message),
                  (std::vector<std::string>{"persist me"}));
  CAF_CHECK(env->metrics->store_ok.load());
  CAF_CHECK_EQUAL(env->metrics->commit_retries.load(), 2u);
  CAF_CHECK(a.link->errors.empty());
}

CAF_TEST(a full queue answers CHAT_006 instead of losing messages) {
  pcfg.queue_max = 2; // the persistence actor refuses the third append
  stop_node();
  start_node();
  auto a = connect();
  frame(a, cmd_enter("r1", "alice")); // committed: queue empty again
  *failing_commits = 1000;
  frame(a, cmd_message("r1", "alice", "one", "c-1"));
  frame(a, cmd_message("r1", "alice", "two", "c-2"));
  frame(a, cmd_message("r1", "alice", "three", "c-3"));
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK(a.link->errors[0].code == errc::unavailable);
  CAF_CHECK_EQUAL(a.link->errors[0].client_msg_id, "c-3");
  CAF_CHECK(a.link->acks.empty());
  *failing_commits = 0;
  advance_time(pcfg.retry_max);
  consume_messages();
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 2u);
  CAF_CHECK_EQUAL(a.link->acks[0].client_msg_id, "c-1");
  CAF_CHECK_EQUAL(a.link->acks[1].client_msg_id, "c-2");
  CAF_CHECK_EQUAL(texts(*a.link, event_kind::message),
                  (std::vector<std::string>{"one", "two"}));
}

CAF_TEST(a publish not answered in time gets CHAT_006 once and no late ACK) {
  senv.publish_timeout = std::chrono::milliseconds{90000};
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  *failing_commits = 1000000; // the store stays down: the room cannot answer
  frame(a, cmd_message("r1", "alice", "stuck", "c-1"));
  auto done = a.link->done;
  advance_time(std::chrono::milliseconds{89000});
  consume_messages();
  CAF_CHECK(a.link->errors.empty());
  advance_time(std::chrono::milliseconds{1000});
  consume_messages();
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK(a.link->errors[0].code == errc::unavailable);
  CAF_CHECK_EQUAL(a.link->errors[0].client_msg_id, "c-1");
  CAF_CHECK_EQUAL(a.link->done, done + 1);
  // The store recovers: the message is committed after all, but the client
  // was already told to retry; it hears nothing more about it.
  *failing_commits = 0;
  advance_time(pcfg.retry_max);
  consume_messages();
  CAF_CHECK(a.link->acks.empty());
  CAF_CHECK_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK_EQUAL(a.link->done, done + 1);
}

// CAF 0.17 never cancels a request's timeout when the answer comes: each
// stayed in the clock (holding the session) for the whole publish timeout,
// ~150 bytes per publish, 100+ MB after a minute of saturated load.
CAF_TEST(answered publishes leave no timeouts behind) {
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  auto me = a.actor.id();
  auto pending = [&] { return sched.clock().actor_lookup().count(me); };
  auto before = pending();
  for (int i = 0; i < 20; ++i)
    frame(a, cmd_message("r1", "alice", "m", "c-" + std::to_string(i)));
  CAF_CHECK_EQUAL(a.link->acks.size(), 20u);
  CAF_CHECK_LESS_OR_EQUAL(pending(), before + 1);
}

// The same for the commits of the persistence actor: each left a 60 s
// entry in the clock, however fast the store answered.
CAF_TEST(commits leave no timeouts behind) {
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  for (int i = 0; i < 10; ++i)
    frame(a, cmd_message("r1", "alice", "m", "c-" + std::to_string(i)));
  CAF_CHECK_EQUAL(a.link->acks.size(), 10u);
  CAF_CHECK(env->metrics->batches.load() >= 10u);
  CAF_CHECK_EQUAL(sched.clock().actor_lookup().count(persist.id()), 0u);
}

CAF_TEST(a commit not answered in time is retried and delivered once) {
  senv.publish_timeout = pcfg.commit_timeout * 10; // the sender waits on
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  // The writer hangs: its jobs wait while everything else runs.
  auto* hung = dynamic_cast<caf::resumable*>(
    caf::actor_cast<caf::abstract_actor*>(writer()));
  CAF_REQUIRE(hung != nullptr);
  auto run_others = [&] {
    sched.run_jobs_filtered([&](caf::resumable* r) { return r != hung; });
  };
  caf::anon_send(a.actor, cmd_message("r1", "alice", "slow", "c-1"));
  run_others();
  CAF_CHECK(a.link->acks.empty());
  advance_time(pcfg.commit_timeout); // given up: back in the queue
  run_others();
  CAF_CHECK_EQUAL(env->metrics->commit_retries.load(), 1u);
  advance_time(pcfg.retry_max); // the retry goes to the writer too
  run_others();
  // The writer wakes up: the first commit's late answer is ignored, the
  // retry's counts.
  consume_messages();
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(a.link->acks[0].client_msg_id, "c-1");
  CAF_CHECK(a.link->errors.empty());
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::message),
                  (std::vector<std::string>{"slow"}));
}

CAF_TEST(seqs continue after a restart and duplicates stay duplicates) {
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_message("r1", "alice", "before", "c-1"));
  frame(a, cmd_message("r1", "alice", "restart", "c-2"));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 2u);
  auto first_seq = a.link->acks[0].seq;
  disconnect(a);
  stop_node();
  start_node();
  auto b = connect();
  frame(b, cmd_enter("r1", "alice"));
  // 1 enter, 2 messages, 1 exit before the restart: the new ENTER is 5.
  CAF_CHECK_EQUAL(b.link->seqs("r1"), (std::vector<std::uint64_t>{5}));
  frame(b, cmd_message("r1", "alice", "before", "c-1"));
  CAF_REQUIRE_EQUAL(b.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(b.link->acks[0].seq, first_seq);
  CAF_CHECK(texts(*b.link, event_kind::message).empty());
  frame(b, cmd_message("r1", "alice", "after"));
  CAF_CHECK_EQUAL(b.link->seqs("r1"), (std::vector<std::uint64_t>{5, 6}));
}

CAF_TEST(the store has the final word on duplicates) {
  env->dedupe_window = 0; // the room remembers nothing
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_message("r1", "alice", "once", "c-1"));
  frame(a, cmd_message("r1", "alice", "once", "c-1"));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 2u);
  CAF_CHECK_EQUAL(a.link->acks[0].seq, a.link->acks[1].seq);
  CAF_CHECK_EQUAL(texts(*a.link, event_kind::message),
                  (std::vector<std::string>{"once"}));
}

CAF_TEST(a retry while the original is committing gets the same seq) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  *failing_commits = 1;
  frame(a, cmd_message("r1", "alice", "hello", "c-1"));
  frame(a, cmd_message("r1", "alice", "hello", "c-1"));
  advance_time(pcfg.retry_min);
  consume_messages();
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 2u);
  CAF_CHECK_EQUAL(a.link->acks[0].seq, a.link->acks[1].seq);
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::message),
                  (std::vector<std::string>{"hello"}));
}

CAF_TEST(replay from the store then live events have no gap and no repeat) {
  env->replay_ring = 2; // too small: the replay must come from the store
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  for (int i = 0; i < 10; ++i)
    frame(a, cmd_message("r1", "alice", "m" + std::to_string(i)));
  // seqs 1 (enter) and 2..11 (m0..m9). Bob saw up to 3.
  auto b = connect();
  auto r1 = room_of("r1");
  caf::anon_send(b.actor, cmd_enter("r1", "bob", 3));
  expect((client_command), to(b.actor));
  expect((enter_atom, std::string, enter_request), to(dir));
  expect((enter_atom, enter_request), to(r1));
  // The room now reads the store; live messages commit meanwhile.
  CAF_CHECK(deref<room_impl::stateful_base<room_state>>(r1).state.members.size()
            == 2);
  frame(a, cmd_message("r1", "alice", "live1"));
  frame(a, cmd_message("r1", "alice", "live2"));
  consume_messages();
  std::vector<std::uint64_t> want;
  for (std::uint64_t s = 4; s <= 14; ++s)
    want.push_back(s);
  CAF_CHECK_EQUAL(b.link->seqs("r1"), want);
  auto msgs = texts(*b.link, event_kind::message);
  CAF_REQUIRE(msgs.size() >= 2);
  CAF_CHECK_EQUAL(msgs.back(), "live2");
}

CAF_TEST(replay longer than one store read arrives complete) {
  env->replay_ring = 0;
  env->replay_chunk = 4;
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  for (int i = 0; i < 17; ++i)
    frame(a, cmd_message("r1", "alice", "m" + std::to_string(i)));
  auto b = connect();
  frame(b, cmd_enter("r1", "bob", 0));
  std::vector<std::uint64_t> want;
  for (std::uint64_t s = 1; s <= 19; ++s) // 18 events and bob's ENTER
    want.push_back(s);
  CAF_CHECK_EQUAL(b.link->seqs("r1"), want);
}

CAF_TEST_FIXTURE_SCOPE_END()
