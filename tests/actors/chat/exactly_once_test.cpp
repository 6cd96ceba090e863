// Exactly once per connection: each committed event of a room reaches a
// connection once, in seq order, on every path (DESIGN.md §4; issue 10 #6).
#define CAF_SUITE exactly_once
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;
using namespace std::chrono_literals;

CAF_TEST_FIXTURE_SCOPE(exactly_once_tests, node_fixture)

// (a) Before: a second ENTER with lastSeq replayed the ring again.
CAF_TEST(a second enter on the same connection repeats nothing) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));       // 1
  frame(b, cmd_enter("r1", "bob"));         // 2
  frame(b, cmd_message("r1", "bob", "m1")); // 3
  frame(b, cmd_message("r1", "bob", "m2")); // 4
  frame(a, cmd_enter("r1", "alice", 0));    // with lastSeq: already had 1..4
  frame(a, cmd_enter("r1", "alice"));       // without
  frame(a, cmd_enter("r1", "alice", 2));
  frame(b, cmd_message("r1", "bob", "m3")); // 5
  CAF_CHECK_EQUAL(a.link->seqs("r1"), range(1, 5));
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(2, 5));
  CAF_CHECK(a.link->errors.empty());
  // No second ENTER notice either.
  CAF_CHECK_EQUAL(b.link->of_kind(event_kind::enter).size(), 1u);
}

// (a) The same when the replay comes from the store.
CAF_TEST(a second enter repeats nothing when the replay came from the store) {
  env->replay_ring = 0;
  auto a = connect();
  frame(a, cmd_enter("r1", "alice")); // 1
  for (int i = 0; i < 4; ++i)
    frame(a, cmd_message("r1", "alice", "m" + std::to_string(i))); // 2..5
  auto b = connect();
  frame(b, cmd_enter("r1", "bob", 1)); // 2..5 from the store, then 6
  frame(b, cmd_enter("r1", "bob", 1)); // again
  frame(b, cmd_enter("r1", "bob", 0));
  frame(a, cmd_message("r1", "alice", "live")); // 7
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(2, 7));
  CAF_CHECK(b.link->errors.empty());
}

// (b) Before: the room answered the ENTER at once while the replay was still
// read, so a MESSAGE right behind it was acknowledged while its broadcast
// still waited behind the replay.
CAF_TEST(an enter while events are in flight gets replay then live once) {
  env->replay_ring = 2; // the replay comes from the store
  auto a = connect();
  frame(a, cmd_enter("r1", "alice")); // 1
  for (int i = 0; i < 6; ++i)
    frame(a, cmd_message("r1", "alice", "m" + std::to_string(i))); // 2..7
  auto b = connect();
  auto w = writer();
  auto rd = reader();
  // Seq 8 is handed to the store and not committed when Bob enters.
  caf::anon_send(a.actor, cmd_message("r1", "alice", "in flight", "c-a1"));
  run_except(w, rd);
  caf::anon_send(b.actor, cmd_enter("r1", "bob", 3));
  caf::anon_send(b.actor, cmd_message("r1", "bob", "mine", "c-b1"));
  run_except(w, rd); // Bob's replay waits for the store
  // Seq 8 commits, and seq 9 is sent and committed, while the replay is read.
  run_except(rd);
  caf::anon_send(a.actor, cmd_message("r1", "alice", "live", "c-a2"));
  run_except(rd);
  CAF_CHECK(b.link->events.empty());
  CAF_CHECK(b.link->acks.empty());
  consume_messages();
  // 4..7 replayed, 8 and 9 live, 10 Bob's ENTER notice, 11 his message.
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(4, 11));
  CAF_CHECK_EQUAL(a.link->seqs("r1"), range(1, 11));
  CAF_CHECK(b.link->errors.empty());
  // A sender sees its own broadcast before its ACK.
  CAF_REQUIRE_EQUAL(b.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(b.link->acks[0].seq, 11u);
  CAF_CHECK_EQUAL(b.link->acks[0].events_before, 8u);
}

// (c) Before: the session forgot the room when a publish timed out, the room
// kept the member, and an ENTER with the old lastSeq replayed what the
// connection had received meanwhile.
CAF_TEST(a publish that timed out keeps session and room in agreement) {
  senv.publish_timeout = 90s;
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice")); // 1
  frame(b, cmd_enter("r1", "bob"));   // 2
  *failing_commits = 1000000;         // the store is down
  frame(a, cmd_message("r1", "alice", "stuck", "c-1"));
  advance_time(90s);
  consume_messages();
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK(a.link->errors[0].code == errc::unavailable);
  *failing_commits = 0;
  advance_time(pcfg.retry_max);
  consume_messages();                          // 3 = "stuck", committed late
  frame(b, cmd_message("r1", "bob", "after")); // 4
  // Alice is still in the room on both sides: her next message goes out.
  frame(a, cmd_message("r1", "alice", "again", "c-2")); // 5
  CAF_CHECK_EQUAL(a.link->errors.size(), 1u);
  // A client that took the CHAT_006 for "out of the room" enters again
  // with the last seq it had then.
  frame(a, cmd_enter("r1", "alice", 2));
  frame(b, cmd_message("r1", "bob", "last")); // 6
  CAF_CHECK_EQUAL(a.link->seqs("r1"), range(1, 6));
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(2, 6));
  CAF_CHECK_EQUAL(a.link->errors.size(), 1u);
}

// (d) Before: the session gave up after 10 s while the room's load waited up
// to 30 s; the room then added the member, the late answer was dropped, the
// session refused the member's messages and a retried ENTER replayed again.
CAF_TEST(an enter answered after the session gave up is adopted) {
  // The timeouts of before the fix: a room's load outlasts the session's
  // patience (the defaults now have it the other way round).
  senv.request_timeout = 10s;
  env->read_timeout = 30s;
  {
    auto a = connect();
    frame(a, cmd_enter("r1", "alice"));         // 1
    frame(a, cmd_message("r1", "alice", "m1")); // 2
    frame(a, cmd_message("r1", "alice", "m2")); // 3
    disconnect(a);                              // 4
  }
  stop_node();
  start_node(); // the room has to load its state again
  auto b = connect();
  auto rd = reader();
  caf::anon_send(b.actor, cmd_enter("r1", "bob", 0));
  run_except(rd); // the room waits for its load
  advance_time(10s);
  run_except(rd);
  CAF_REQUIRE_EQUAL(b.link->errors.size(), 1u);
  CAF_CHECK(b.link->errors[0].code == errc::unavailable);
  CAF_CHECK(b.link->events.empty());
  consume_messages(); // the load arrives; the room answers late
  auto c = connect();
  frame(c, cmd_enter("r1", "carol"));              // 6
  frame(b, cmd_message("r1", "bob", "hi", "c-1")); // 7
  frame(b, cmd_enter("r1", "bob", 0));             // the client's retry
  frame(c, cmd_message("r1", "carol", "bye"));     // 8
  // 1..4 replayed, 5 Bob's ENTER notice, then live: each once.
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(1, 8));
  CAF_CHECK_EQUAL(b.link->errors.size(), 1u);
  CAF_REQUIRE_EQUAL(b.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(b.link->acks[0].seq, 7u);
}

CAF_TEST_FIXTURE_SCOPE_END()
