// Room actor: fan-out, notices, seq order, dedupe, idle stop, slow receivers.
#define CAF_SUITE room
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

bool strictly_increasing(const std::vector<std::uint64_t>& xs) {
  for (size_t i = 1; i < xs.size(); ++i)
    if (xs[i] <= xs[i - 1])
      return false;
  return true;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(room_tests, node_fixture)

CAF_TEST(a message fans out to every member in seq order) {
  auto a = connect();
  auto b = connect();
  auto c = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  frame(c, cmd_enter("r1", "carol"));
  auto r1 = room_of("r1");
  // One message, step by step: session -> room -> persistence -> writer
  // (commit) -> room -> every session -> ack. Nobody sees it before the
  // commit.
  auto w = writer();
  caf::anon_send(a.actor, cmd_message("r1", "alice", "hi", "c-1"));
  expect((client_command), to(a.actor));
  expect((caf::publish_atom, publish_request), to(r1));
  expect((append_atom, room_event), to(persist));
  disallow((event_batch), to(b.actor));
  expect((commit_atom, stored_events), to(w));
  expect((std::vector<publish_ack>), from(w).to(persist));
  // The committed event goes straight into every member's connection queue
  // (one shared frame), before the sender's ACK.
  CAF_CHECK(texts(*b.link, event_kind::message).empty());
  expect((publish_ack), from(persist).to(r1));
  for (auto* link : {a.link.get(), b.link.get(), c.link.get()})
    CAF_CHECK_EQUAL(texts(*link, event_kind::message),
                    (std::vector<std::string>{"hi"}));
  CAF_CHECK(a.link->acks.empty());
  expect((publish_ack), to(a.actor));
  CAF_CHECK_EQUAL(a.link->acks.size(), 1u);
  // All receivers share the one event (each protocol encodes it once).
  CAF_CHECK(a.link->shared.back() == c.link->shared.back());
  for (int i = 0; i < 5; ++i)
    frame(i % 2 == 0 ? b : c, cmd_message("r1", i % 2 == 0 ? "bob" : "carol",
                                          "m" + std::to_string(i)));
  std::vector<std::string> expected{"hi", "m0", "m1", "m2", "m3", "m4"};
  for (auto* link : {a.link.get(), b.link.get(), c.link.get()}) {
    CAF_CHECK_EQUAL(texts(*link, event_kind::message), expected);
    CAF_CHECK(strictly_increasing(link->seqs("r1")));
  }
  // Everyone saw the very same events for the messages.
  CAF_CHECK_EQUAL(a.link->of_kind(event_kind::message),
                  c.link->of_kind(event_kind::message));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(a.link->acks[0].seq, 4u);
  CAF_CHECK_EQUAL(a.link->acks[0].client_msg_id, "c-1");
}

CAF_TEST(enter and exit notices reach the members) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  CAF_CHECK_EQUAL(texts(*a.link, event_kind::enter),
                  (std::vector<std::string>{"alice entered.", "bob entered."}));
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::enter),
                  (std::vector<std::string>{"bob entered."}));
  frame(b, cmd_exit("r1", "bob"));
  CAF_CHECK_EQUAL(texts(*a.link, event_kind::exit),
                  (std::vector<std::string>{"bob left."}));
  CAF_CHECK(b.link->of_kind(event_kind::exit).empty());
  auto exits = a.link->of_kind(event_kind::exit);
  CAF_REQUIRE_EQUAL(exits.size(), 1u);
  CAF_CHECK_EQUAL(exits[0].sender, "bob");
  CAF_CHECK_EQUAL(exits[0].seq, 3u);
  CAF_CHECK(exits[0].ts_ms > 0);
  // Bob no longer receives the room.
  frame(a, cmd_message("r1", "alice", "after"));
  CAF_CHECK(texts(*b.link, event_kind::message).empty());
  // Other members' notices may wait for the connection's next write; its
  // own (in raw JSON the only answer to ENTER) and messages never do.
  CAF_CHECK_EQUAL(a.link->lazy_events, 2u);
  CAF_CHECK_EQUAL(b.link->lazy_events, 0u);
  CAF_CHECK_EQUAL(a.link->events.size(), 4u);
}

CAF_TEST(seqs are strictly increasing without gaps) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  for (int i = 0; i < 50; ++i) {
    caf::anon_send(a.actor, cmd_message("r1", "alice", "a"));
    caf::anon_send(b.actor, cmd_message("r1", "bob", "b"));
  }
  consume_messages();
  auto seqs = a.link->seqs("r1");
  CAF_REQUIRE_EQUAL(seqs.size(), 102u);
  for (size_t i = 0; i < seqs.size(); ++i)
    CAF_CHECK_EQUAL(seqs[i], i + 1);
  auto b_seqs = b.link->seqs("r1");
  CAF_REQUIRE_EQUAL(b_seqs.size(), 101u);
  CAF_CHECK_EQUAL(b_seqs.front(), 2u);
  CAF_CHECK_EQUAL(b_seqs.back(), 102u);
}

CAF_TEST(a repeated clientMsgId is acknowledged but not broadcast again) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  frame(a, cmd_message("r1", "alice", "once", "c-9"));
  frame(a, cmd_message("r1", "alice", "once", "c-9"));
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::message),
                  (std::vector<std::string>{"once"}));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 2u);
  CAF_CHECK_EQUAL(a.link->acks[0].seq, a.link->acks[1].seq);
  // The same id from another sender is another message.
  frame(b, cmd_message("r1", "bob", "mine", "c-9"));
  CAF_CHECK_EQUAL(texts(*a.link, event_kind::message).size(), 2u);
}

CAF_TEST(a disconnecting session leaves every room) {
  auto a = connect();
  auto b = connect();
  auto c = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_enter("r2", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  frame(c, cmd_enter("r2", "carol"));
  disconnect(a);
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::exit),
                  (std::vector<std::string>{"alice left."}));
  CAF_CHECK_EQUAL(texts(*c.link, event_kind::exit),
                  (std::vector<std::string>{"alice left."}));
  auto b_exits = b.link->of_kind(event_kind::exit);
  auto c_exits = c.link->of_kind(event_kind::exit);
  CAF_REQUIRE_EQUAL(b_exits.size(), 1u);
  CAF_REQUIRE_EQUAL(c_exits.size(), 1u);
  CAF_CHECK_EQUAL(b_exits[0].room_id, "r1");
  CAF_CHECK_EQUAL(c_exits[0].room_id, "r2");
  // Nothing more reaches alice's link.
  auto before = a.link->events.size();
  frame(b, cmd_message("r1", "bob", "still there?"));
  CAF_CHECK_EQUAL(a.link->events.size(), before);
}

CAF_TEST(a session that dies without saying goodbye leaves its rooms) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  caf::anon_send_exit(a.actor, caf::exit_reason::kill);
  consume_messages();
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::exit),
                  (std::vector<std::string>{"alice left."}));
}

CAF_TEST(an idle room stops after the timeout and only then) {
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_enter("busy", "alice"));
  frame(a, cmd_exit("r1", "alice"));
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"busy", "r1"}));
  advance_time(std::chrono::milliseconds{999});
  consume_messages();
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"busy", "r1"}));
  advance_time(std::chrono::milliseconds{1});
  consume_messages();
  // The room with a member stays; the empty one is gone.
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"busy"}));
  advance_time(std::chrono::seconds{60});
  consume_messages();
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"busy"}));
  // Entering again starts a fresh room.
  frame(a, cmd_enter("r1", "alice"));
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"busy", "r1"}));
}

CAF_TEST(an idle room does not stop while an enter is on its way) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_exit("r1", "alice"));
  auto r1 = room_of("r1");
  advance_time(std::chrono::milliseconds{1000});
  // Bob's ENTER reaches the directory before the room's idle request does.
  caf::anon_send(b.actor, cmd_enter("r1", "bob"));
  expect((client_command), to(b.actor));
  expect((idle_chk_atom, std::uint64_t), to(r1));
  expect((enter_atom, std::string, enter_request), to(dir));
  expect((idle_atom, std::string, std::uint64_t), to(dir));
  consume_messages();
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"r1"}));
  // The room kept running and Bob is in it: a message reaches him.
  frame(b, cmd_message("r1", "bob", "still here", "c-1"));
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::message),
                  (std::vector<std::string>{"still here"}));
  CAF_CHECK(b.link->errors.empty());
}

CAF_TEST(a slow session does not hold up the others) {
  auto a = connect();
  auto b = connect();
  auto slow = connect();
  slow.link->capacity = 64 * 5;
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  frame(slow, cmd_enter("r1", "sloth"));
  auto r1 = room_of("r1");
  auto w = writer();
  // Twenty messages go out; the slow session's actor never gets to run.
  for (int i = 0; i < 20; ++i) {
    caf::anon_send(a.actor, cmd_message("r1", "alice", "x"));
    expect((client_command), to(a.actor));
    expect((caf::publish_atom, publish_request), to(r1));
    expect((append_atom, room_event), to(persist));
    expect((commit_atom, stored_events), to(w));
    expect((std::vector<publish_ack>), from(w).to(persist));
    expect((publish_ack), from(persist).to(r1));
    expect((publish_ack), to(a.actor));
  }
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::message).size(), 20u);
  // Its queue overflowed on the way and its connection closed with 4008;
  // the room never waited for it.
  CAF_CHECK_EQUAL(slow.link->closes,
                  (std::vector<std::uint16_t>{close_code::slow_consumer}));
  consume_messages();
  disconnect(slow);
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::exit),
                  (std::vector<std::string>{"sloth left."}));
  frame(a, cmd_message("r1", "alice", "later"));
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::message).size(), 21u);
}

CAF_TEST(enter with lastSeq replays the kept messages before live ones) {
  auto a = connect();
  frame(a, cmd_enter("r1", "alice"));
  for (int i = 0; i < 5; ++i)
    frame(a, cmd_message("r1", "alice", "m" + std::to_string(i)));
  // seqs: 1 = enter, 2..6 = m0..m4
  auto b = connect();
  frame(b, cmd_enter("r1", "bob", 3));
  frame(a, cmd_message("r1", "alice", "live"));
  CAF_CHECK_EQUAL(b.link->seqs("r1"),
                  (std::vector<std::uint64_t>{4, 5, 6, 7, 8}));
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::message),
                  (std::vector<std::string>{"m2", "m3", "m4", "live"}));
}

CAF_TEST_FIXTURE_SCOPE_END()
