// Session actor: identity rules, bad requests, ordering, acknowledgements
// and what ENTER and EXIT cost.
#define CAF_SUITE session
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

CAF_TEST_FIXTURE_SCOPE(session_tests, node_fixture)

CAF_TEST(a message to a room not entered is refused with CHAT_003) {
  auto a = connect();
  frame(a, cmd_message("r1", "alice", "hi", "c-1"));
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK(a.link->errors[0].code == errc::not_in_room);
  CAF_CHECK_EQUAL(a.link->errors[0].message, "not in room r1");
  CAF_CHECK_EQUAL(a.link->errors[0].client_msg_id, "c-1");
  CAF_CHECK(room_ids().empty());
  frame(a, cmd_exit("r1", "alice"));
  CAF_CHECK_EQUAL(a.link->errors.size(), 2u);
  CAF_CHECK(a.link->errors[1].code == errc::not_in_room);
}

CAF_TEST(an unauthenticated frame needs a sender) {
  auto a = connect();
  frame(a, cmd_enter("r1", ""));
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK(a.link->errors[0].code == errc::bad_frame);
  CAF_CHECK(room_ids().empty());
}

CAF_TEST(an authenticated session speaks only for its member) {
  auto a = connect(member(7, "alice"));
  frame(a, cmd_enter("r1", ""));
  CAF_CHECK(a.link->errors.empty());
  frame(a, cmd_message("r1", "mallory", "not me", "c-1"));
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK(a.link->errors[0].code == errc::forbidden);
  CAF_CHECK_EQUAL(a.link->errors[0].client_msg_id, "c-1");
  frame(a, cmd_message("r1", "", "me", "c-2"));
  auto msgs = a.link->of_kind(event_kind::message);
  CAF_REQUIRE_EQUAL(msgs.size(), 1u);
  CAF_CHECK_EQUAL(msgs[0].sender, "alice");
  CAF_CHECK_EQUAL(msgs[0].sender_id, 7);
  CAF_CHECK_EQUAL(msgs[0].text, "me");
}

CAF_TEST(a message right behind its enter finds the room entered) {
  auto a = connect();
  caf::anon_send(a.actor, cmd_enter("r1", "alice"));
  caf::anon_send(a.actor, cmd_message("r1", "alice", "first", "c-1"));
  consume_messages();
  CAF_CHECK(a.link->errors.empty());
  CAF_CHECK_EQUAL(a.link->of_kind(event_kind::message).size(), 1u);
  CAF_CHECK_EQUAL(a.link->acks.size(), 1u);
}

CAF_TEST(only messages with a clientMsgId are acknowledged) {
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_message("r1", "alice", "no id"));
  frame(a, cmd_message("r1", "alice", "with id", "c-5"));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(a.link->acks[0].room_id, "r1");
  CAF_CHECK_EQUAL(a.link->acks[0].seq, 3u);
  // Every frame, accepted or not, releases the connection's read window.
  CAF_CHECK_EQUAL(a.link->done, 3);
}

CAF_TEST(a second enter of the same room adds no notice) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  frame(b, cmd_enter("r1", "bob"));
  CAF_CHECK_EQUAL(a.link->of_kind(event_kind::enter).size(), 2u);
  CAF_CHECK(b.link->errors.empty());
}

CAF_TEST(a connection sending too fast gets GLOBAL_429 and nothing is lost) {
  senv.message_rate = 2;
  senv.message_burst = 4; // the ENTER takes one
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  for (int i = 0; i < 5; ++i)
    frame(a, cmd_message("r1", "alice", "m", "c" + std::to_string(i)));
  CAF_CHECK_EQUAL(a.link->acks.size(), 3u);
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 2u);
  CAF_CHECK(a.link->errors[0].code == errc::rate_limited);
  CAF_CHECK_EQUAL(a.link->errors[0].client_msg_id, "c3");
  CAF_CHECK_EQUAL(a.link->errors[1].client_msg_id, "c4");
  // Half a second later one more token is there.
  advance_time(std::chrono::milliseconds{500});
  frame(a, cmd_message("r1", "alice", "m", "c5"));
  CAF_CHECK_EQUAL(a.link->acks.size(), 4u);
  CAF_CHECK_EQUAL(a.link->errors.size(), 2u);
}

CAF_TEST(enter and exit take tokens from the send bucket) {
  senv.message_rate = 1;
  senv.message_burst = 3;
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_enter("r2", "alice"));
  frame(a, cmd_exit("r1", "alice"));
  CAF_CHECK(a.link->errors.empty());
  // The bucket is empty: an ENTER and an EXIT are refused like a message.
  frame(a, cmd_enter("r3", "alice"));
  frame(a, cmd_exit("r2", "alice"));
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 2u);
  CAF_CHECK(a.link->errors[0].code == errc::rate_limited);
  CAF_CHECK(a.link->errors[1].code == errc::rate_limited);
  CAF_CHECK_EQUAL(a.link->done, 5);
  // The refused ENTER never reached the directory.
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"r1", "r2"}));
  // The refused EXIT left the session in r2.
  advance_time(std::chrono::seconds{1});
  frame(a, cmd_message("r2", "alice", "still in", "c-1"));
  CAF_CHECK_EQUAL(a.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(a.link->errors.size(), 2u);
  advance_time(std::chrono::seconds{1});
  frame(a, cmd_enter("r3", "alice"));
  CAF_CHECK_EQUAL(a.link->errors.size(), 2u);
  CAF_CHECK(a.link->seqs("r3") == (std::vector<std::uint64_t>{1}));
}

CAF_TEST(a connection in rooms_per_session rooms may enter no other) {
  senv.rooms_per_session = 3;
  auto a = connect();
  for (auto id : {"r1", "r2", "r3"})
    frame(a, cmd_enter(id, "alice"));
  frame(a, cmd_enter("r4", "alice"));
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK(a.link->errors[0].code == errc::bad_frame);
  CAF_CHECK_EQUAL(a.link->errors[0].message,
                  "too many rooms on this connection (at most 3): EXIT one "
                  "first");
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"r1", "r2", "r3"}));
  CAF_CHECK_EQUAL(a.link->done, 4);
  // Entering a room it is in again is no new room.
  frame(a, cmd_enter("r2", "alice"));
  CAF_CHECK_EQUAL(a.link->errors.size(), 1u);
  // An EXIT makes a place.
  frame(a, cmd_exit("r1", "alice"));
  frame(a, cmd_enter("r4", "alice"));
  CAF_CHECK_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK(a.link->seqs("r4") == (std::vector<std::uint64_t>{1}));
}

CAF_TEST(a session in several rooms sends to each and leaves one) {
  auto a = connect();
  for (auto id : {"r3", "r1", "r2"})
    frame(a, cmd_enter(id, "alice"));
  frame(a, cmd_message("r2", "alice", "to two", "c-1"));
  frame(a, cmd_message("r3", "alice", "to three", "c-2"));
  frame(a, cmd_message("r1", "alice", "to one", "c-3"));
  CAF_CHECK(a.link->errors.empty());
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 3u);
  CAF_CHECK_EQUAL(a.link->acks[0].room_id, "r2");
  CAF_CHECK_EQUAL(a.link->acks[1].room_id, "r3");
  CAF_CHECK_EQUAL(a.link->acks[2].room_id, "r1");
  frame(a, cmd_exit("r1", "alice"));
  frame(a, cmd_message("r1", "alice", "gone", "c-4"));
  CAF_REQUIRE_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK(a.link->errors[0].code == errc::not_in_room);
  frame(a, cmd_message("r3", "alice", "still here", "c-5"));
  CAF_CHECK_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK_EQUAL(a.link->acks.size(), 4u);
}

CAF_TEST(an enter not answered in time gets CHAT_006 and what waited runs) {
  senv.request_timeout = std::chrono::milliseconds{10000};
  // (A spawn argument: CAF 0.17.6 dereferences a null tuple without one.)
  auto silent
    = caf::actor_cast<directory_actor>(sys.spawn(silent_directory, 0));
  auto link = std::make_shared<recording_link>();
  auto s = sys.spawn(session, link, silent, session_identity{},
                     std::make_shared<const session_env>(senv));
  sessions.push_back(s);
  caf::anon_send(s, cmd_enter("r1", "alice"));
  caf::anon_send(s, cmd_message("r1", "alice", "behind", "c-1"));
  consume_messages();
  advance_time(std::chrono::milliseconds{9000});
  consume_messages();
  CAF_CHECK(link->errors.empty());
  CAF_CHECK_EQUAL(link->done, 0);
  advance_time(std::chrono::milliseconds{1000});
  consume_messages();
  CAF_REQUIRE_EQUAL(link->errors.size(), 2u);
  CAF_CHECK(link->errors[0].code == errc::unavailable);
  // The message behind the ENTER runs once the ENTER is given up.
  CAF_CHECK(link->errors[1].code == errc::not_in_room);
  CAF_CHECK_EQUAL(link->errors[1].client_msg_id, "c-1");
  CAF_CHECK_EQUAL(link->done, 2);
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
}

CAF_TEST(an answered enter leaves the actor clock within the deadline tick) {
  // CAF 0.17 cannot cancel a delayed message: the deadline tick holds the
  // session and ~180 bytes until it fires. It fires within deadline_tick,
  // not at the ENTER's deadline, and nothing waits afterwards.
  senv.request_timeout = std::chrono::seconds{35};
  senv.deadline_tick = std::chrono::seconds{2};
  auto a = connect();
  auto addr = caf::actor_cast<caf::actor_addr>(a.actor);
  frame(a, cmd_enter("r1", "alice"));
  CAF_REQUIRE(a.link->errors.empty());
  CAF_CHECK_EQUAL(delayed_to(sched.clock(), addr), 1u);
  advance_time(std::chrono::seconds{2});
  consume_messages();
  CAF_CHECK_EQUAL(delayed_to(sched.clock(), addr), 0u);
  // (An ENTER that is never answered still fails at its deadline, reached
  // through several ticks: the test above, deadline_tick 2 s of 10 s.)
}

CAF_TEST(sessions are counted while they run) {
  auto& active = senv.metrics->sessions_active;
  auto before = active.load();
  auto a = connect();
  auto b = connect();
  consume_messages();
  CAF_CHECK_EQUAL(active.load(), before + 2);
  frame(a, cmd_enter("r1", "alice"));
  disconnect(a);
  CAF_CHECK_EQUAL(active.load(), before + 1);
  disconnect(b);
  CAF_CHECK_EQUAL(active.load(), before);
}

CAF_TEST(a session that dies of an error closes its connection with 1011) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  caf::anon_send_exit(a.actor, caf::exit_reason::unhandled_exception);
  caf::anon_send_exit(b.actor, caf::exit_reason::kill);
  consume_messages();
  CAF_CHECK_EQUAL(a.link->closes,
                  std::vector<std::uint16_t>{close_code::internal_error});
  CAF_CHECK_EQUAL(b.link->closes,
                  std::vector<std::uint16_t>{close_code::internal_error});
}

CAF_TEST(a session whose connection went away closes nothing) {
  auto& active = senv.metrics->sessions_active;
  auto before = active.load();
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  disconnect(a);
  CAF_CHECK_EQUAL(active.load(), before); // the session has ended
  CAF_CHECK(a.link->closes.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
