// Replays from the store: a failed or late replay refuses the ENTER instead
// of leaving a gap, stale answers are ignored, held events stay bounded.
#define CAF_SUITE replay
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;
using namespace std::chrono_literals;

namespace {

/// Seqs 1 (alice's ENTER) and 2..n+1 (her messages), with a ring too small
/// for replays.
struct history_fixture : node_fixture {
  client alice;

  history_fixture() {
    env->replay_ring = 2;
  }

  /// The most bytes any replay of `room` holds right now.
  std::size_t held_bytes(const room_actor& room) {
    std::size_t most = 0;
    auto& st = deref<room_impl::stateful_base<room_state>>(room).state;
    for (auto& [epoch, job] : st.replays)
      most = std::max(most, job.held_bytes);
    return most;
  }

  /// What holding one event of `text` costs (see room_replay.cpp).
  static std::size_t cost(const std::string& sender, const std::string& text) {
    return sizeof(room_event) + 2 + sender.size() + text.size();
  }

  void write_history(int n) {
    alice = connect();
    frame(alice, cmd_enter("r1", "alice"));
    for (int i = 0; i < n; ++i)
      frame(alice, cmd_message("r1", "alice", "m" + std::to_string(i)));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(replay_tests, history_fixture)

// Before: the failed read was logged and the member silently missed 4..7.
CAF_TEST(a replay the store cannot serve refuses the enter and a retry recovers
           every event once) {
  write_history(6); // 1..7
  auto b = connect();
  *failing_reads = 1;
  frame(b, cmd_enter("r1", "bob", 3));
  CAF_REQUIRE_EQUAL(b.link->errors.size(), 1u);
  CAF_CHECK(b.link->errors[0].code == errc::unavailable);
  CAF_CHECK_EQUAL(b.link->done, 1);
  CAF_CHECK(b.link->events.empty());
  // Bob is not in the room: no notice, no live events, no sending.
  frame(alice, cmd_message("r1", "alice", "while out")); // 8
  CAF_CHECK(b.link->events.empty());
  CAF_CHECK_EQUAL(alice.link->of_kind(event_kind::enter).size(), 1u);
  frame(b, cmd_message("r1", "bob", "x", "c-1"));
  CAF_REQUIRE_EQUAL(b.link->errors.size(), 2u);
  CAF_CHECK(b.link->errors[1].code == errc::not_in_room);
  // The client retries with the same lastSeq and gets everything once.
  frame(b, cmd_enter("r1", "bob", 3));              // notice 9
  frame(alice, cmd_message("r1", "alice", "live")); // 10
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(4, 10));
  CAF_CHECK_EQUAL(b.link->errors.size(), 2u);
  CAF_CHECK_EQUAL(alice.link->seqs("r1"), range(1, 10));
}

// Before: the read's own 30 s timeout ended the replay with a gap.
CAF_TEST(a replay not done in time refuses the enter
         and its late answer is ignored) {
  write_history(6); // 1..7
  auto b = connect();
  auto rd = reader();
  caf::anon_send(b.actor, cmd_enter("r1", "bob", 3));
  run_except(rd); // the read waits in a hung reader
  advance_time(10s);
  run_except(rd);
  CAF_REQUIRE_EQUAL(b.link->errors.size(), 1u);
  CAF_CHECK(b.link->errors[0].code == errc::unavailable);
  CAF_CHECK_EQUAL(b.link->done, 1);
  consume_messages(); // the reader wakes up: its answer is stale
  CAF_CHECK(b.link->events.empty());
  frame(alice, cmd_message("r1", "alice", "while out")); // 8
  CAF_CHECK(b.link->events.empty());
  CAF_CHECK_EQUAL(alice.link->of_kind(event_kind::enter).size(), 1u);
  frame(b, cmd_enter("r1", "bob", 3)); // 9
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(4, 9));
}

// Before: the first read's answer acted on the member that had entered
// again (with a later upto) and ended its replay early: 8..11 were lost.
CAF_TEST(a stale replay answer never reaches a member that entered again) {
  write_history(6); // 1..7
  auto b = connect();
  auto r1 = room_of("r1");
  auto rd = reader();
  enter_request req{b.actor, "bob", 0, 3, b.link};
  auto first = self->request(r1, caf::infinite, enter_atom_v, req);
  run_except(rd); // the first replay waits for the reader
  self->send(r1, exit_atom_v, b.actor);
  run_except(rd);
  caf::anon_send(alice.actor, cmd_message("r1", "alice", "x"));
  caf::anon_send(alice.actor, cmd_message("r1", "alice", "y"));
  run_except(rd);
  auto second = self->request(r1, caf::infinite, enter_atom_v, req);
  run_except(rd);
  consume_messages(); // both reads answer, the first one late
  CAF_CHECK(!b.link->seqs("r1").empty());
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(4, 10));
  bool refused = false;
  first.receive([&](enter_reply&) {},
                [&](caf::error& err) { refused = to_errc(err) != errc::none; });
  CAF_CHECK(refused);
  std::uint64_t entered_at = 0;
  second.receive([&](enter_reply& r) { entered_at = r.last_seq; },
                 [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(entered_at, 9u);
}

CAF_TEST(live events past replay_hold_bytes are read from the store again) {
  env->replay_hold_bytes = 3 * cost("alice", "live");
  write_history(6); // 1..7
  auto b = connect();
  auto r1 = room_of("r1");
  auto rd = reader();
  caf::anon_send(b.actor, cmd_enter("r1", "bob", 3));
  run_except(rd);                // the replay waits for the reader
  for (int i = 0; i < 10; ++i) { // 8..17 commit meanwhile
    caf::anon_send(alice.actor, cmd_message("r1", "alice", "live"));
    run_except(rd);
    CAF_CHECK_LESS_OR_EQUAL(held_bytes(r1), env->replay_hold_bytes);
  }
  auto& st = deref<room_impl::stateful_base<room_state>>(r1).state;
  CAF_REQUIRE_EQUAL(st.replays.size(), 1u);
  CAF_CHECK(st.replays.begin()->second.overflowed);
  CAF_CHECK(st.replays.begin()->second.held.empty());
  // The ring (2 events) does not reach back: the replay reads 8..17 from
  // the store after 4..7, then Bob is in (notice 18).
  consume_messages();
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(4, 18));
  CAF_CHECK(b.link->errors.empty());
  CAF_CHECK(st.replays.empty());
  frame(alice, cmd_message("r1", "alice", "after")); // 19
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(4, 19));
}

CAF_TEST(
  live events past replay_hold_bytes come from the ring when it reaches back) {
  env->replay_ring = 5;
  env->replay_hold_bytes = 2 * cost("alice", "live");
  write_history(6); // 1..7; the ring holds 3..7
  auto b = connect();
  auto r1 = room_of("r1");
  auto rd = reader();
  caf::anon_send(b.actor, cmd_enter("r1", "bob", 1));
  run_except(rd);
  for (int i = 0; i < 4; ++i) { // 8..11; the ring then holds 7..11
    caf::anon_send(alice.actor, cmd_message("r1", "alice", "live"));
    run_except(rd);
    CAF_CHECK_LESS_OR_EQUAL(held_bytes(r1), env->replay_hold_bytes);
  }
  consume_messages();
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(2, 12));
  CAF_CHECK(b.link->errors.empty());
}

CAF_TEST(a room deleted while a replay is read refuses the enter) {
  write_history(6);
  auto b = connect();
  auto rd = reader();
  caf::anon_send(b.actor, cmd_enter("r1", "bob", 3));
  run_except(rd);
  caf::anon_send(dir, change_atom_v,
                 room_change{"r1", room_change_kind::deleted, 0});
  run_except(rd);
  consume_messages(); // the read's answer finds the room gone
  CAF_REQUIRE_EQUAL(b.link->errors.size(), 1u);
  CAF_CHECK(b.link->errors[0].code == errc::no_such_room);
  CAF_CHECK(b.link->events.empty());
  CAF_CHECK_EQUAL(b.link->done, 1);
}

// Session side: an ENTER given up at its deadline whose answer comes after
// the client left the room is undone, so session and room agree.
CAF_TEST(a late enter answer after the client said exit is undone) {
  senv.request_timeout = 10s;
  env->read_timeout = 30s; // the room's load outlasts the session's wait
  auto b = connect();
  auto rd = reader();
  caf::anon_send(b.actor, cmd_enter("r2", "bob"));
  run_except(rd); // the new room waits for its load
  advance_time(10s);
  run_except(rd);
  CAF_REQUIRE_EQUAL(b.link->errors.size(), 1u);
  CAF_CHECK(b.link->errors[0].code == errc::unavailable);
  caf::anon_send(b.actor, cmd_exit("r2", "bob"));
  run_except(rd);
  CAF_REQUIRE_EQUAL(b.link->errors.size(), 2u);
  CAF_CHECK(b.link->errors[1].code == errc::not_in_room);
  consume_messages(); // the room loads, admits Bob, answers late: undone
  auto c = connect();
  frame(c, cmd_enter("r2", "carol"));
  frame(c, cmd_message("r2", "carol", "alone?"));
  auto& st = deref<room_impl::stateful_base<room_state>>(room_of("r2")).state;
  CAF_CHECK_EQUAL(st.members.size(), 1u);
  for (auto seq : b.link->seqs("r2"))
    CAF_CHECK_LESS_OR_EQUAL(seq, 2u); // his own ENTER and EXIT notices
  CAF_CHECK_EQUAL(c.link->seqs("r2"), (seq_list{3, 4}));
}

CAF_TEST_FIXTURE_SCOPE_END()
