// Blocking in the room: a member's sessions get no MESSAGE of a member it
// blocks, live or replayed (from the ring or the store), the seq bookkeeping
// skips them without a gap, and a change reaches the rooms already entered.
#define CAF_SUITE block_filter
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

using strings = std::vector<std::string>;

constexpr std::int64_t alice_id = 1;
constexpr std::int64_t bob_id = 2;
constexpr std::int64_t carol_id = 3;

/// Alice's identity when she blocks `ids`.
session_identity alice_blocking(std::vector<std::int64_t> ids) {
  auto who = member(alice_id, "alice");
  who.blocked = make_block_list(std::move(ids));
  return who;
}

struct block_fixture : node_fixture {
  /// Tells a session, as the admin actor does, whom its member blocks now.
  void tell(const client& c, std::vector<std::int64_t> ids) {
    caf::anon_send(c.actor, block_atom_v, std::move(ids));
    consume_messages();
  }
};

} // namespace

CAF_TEST(make_block_list sorts and is null for nobody) {
  CAF_CHECK(make_block_list({}) == nullptr);
  auto l = make_block_list({5, 2, 5, 9});
  CAF_REQUIRE(l != nullptr);
  CAF_CHECK_EQUAL(*l, (std::vector<std::int64_t>{2, 5, 9}));
  room_event ev;
  ev.kind = event_kind::message;
  ev.sender_id = 5;
  CAF_CHECK(hides(*l, ev));
  ev.kind = event_kind::enter; // notices pass
  CAF_CHECK(!hides(*l, ev));
  ev.kind = event_kind::message;
  ev.sender_id = 3;
  CAF_CHECK(!hides(*l, ev));
}

CAF_TEST_FIXTURE_SCOPE(block_filter_tests, block_fixture)

CAF_TEST(messages of a blocked member reach the others but not the blocker) {
  auto a = connect(alice_blocking({bob_id}));
  auto b = connect(member(bob_id, "bob"));
  auto c = connect(member(carol_id, "carol"));
  frame(a, cmd_enter("r1", "alice")); // 1
  frame(b, cmd_enter("r1", "bob"));   // 2
  frame(c, cmd_enter("r1", "carol")); // 3
  frame(b, cmd_message("r1", "bob", "from bob"));     // 4
  frame(c, cmd_message("r1", "carol", "from carol")); // 5
  frame(b, cmd_message("r1", "bob", "bob again"));    // 6
  frame(a, cmd_message("r1", "alice", "from alice")); // 7
  CAF_CHECK_EQUAL(texts(*c.link),
                  (strings{"from bob", "from carol", "bob again", "from alice"}));
  CAF_CHECK_EQUAL(texts(*a.link), (strings{"from carol", "from alice"}));
  // Bob's ENTER notice is presence, not content: it passes.
  CAF_CHECK_EQUAL(a.link->of_kind(event_kind::enter).size(), 3u);
  CAF_CHECK_EQUAL(a.link->seqs("r1"), (seq_list{1, 2, 3, 5, 7}));
  // Bob sees everything, alice's messages too (blocking is one-way).
  CAF_CHECK_EQUAL(b.link->seqs("r1"), range(2, 7));
  CAF_CHECK(a.link->errors.empty());
}

CAF_TEST(a change of blocks reaches the rooms entered and unblock restores) {
  auto a = connect(member(alice_id, "alice"));
  auto b = connect(member(bob_id, "bob"));
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_enter("r2", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  frame(b, cmd_enter("r2", "bob"));
  frame(b, cmd_message("r1", "bob", "one"));
  tell(a, {bob_id});
  frame(b, cmd_message("r1", "bob", "two"));
  frame(b, cmd_message("r2", "bob", "two in r2"));
  CAF_CHECK_EQUAL(texts(*a.link), (strings{"one"}));
  tell(a, {});
  frame(b, cmd_message("r1", "bob", "three"));
  frame(b, cmd_message("r2", "bob", "three in r2"));
  CAF_CHECK_EQUAL(texts(*a.link), (strings{"one", "three", "three in r2"}));
  // A room entered after the change starts with the new list.
  tell(a, {bob_id});
  frame(b, cmd_enter("r3", "bob"));
  frame(a, cmd_enter("r3", "alice"));
  frame(b, cmd_message("r3", "bob", "hidden"));
  CAF_CHECK_EQUAL(texts(*a.link), (strings{"one", "three", "three in r2"}));
  CAF_CHECK(a.link->errors.empty());
}

CAF_TEST(a replay from the ring leaves out the messages of the blocked member) {
  auto b = connect(member(bob_id, "bob"));
  auto c = connect(member(carol_id, "carol"));
  frame(b, cmd_enter("r1", "bob"));                // 1
  frame(c, cmd_enter("r1", "carol"));              // 2
  frame(b, cmd_message("r1", "bob", "b1"));        // 3
  frame(c, cmd_message("r1", "carol", "c1"));      // 4
  frame(b, cmd_message("r1", "bob", "b2"));        // 5
  auto a = connect(alice_blocking({bob_id}));
  frame(a, cmd_enter("r1", "alice", 0)); // replays 1..5, then notice 6
  CAF_CHECK_EQUAL(texts(*a.link), (strings{"c1"}));
  CAF_CHECK_EQUAL(a.link->seqs("r1"), (seq_list{1, 2, 4, 6}));
  // Live after the replay: nothing repeated, nothing lost.
  frame(c, cmd_message("r1", "carol", "c2")); // 7
  frame(b, cmd_message("r1", "bob", "b3"));   // 8
  CAF_CHECK_EQUAL(texts(*a.link), (strings{"c1", "c2"}));
  CAF_CHECK_EQUAL(a.link->seqs("r1"), (seq_list{1, 2, 4, 6, 7}));
}

CAF_TEST(a replay from the store leaves out the messages of the blocked member) {
  env->replay_ring = 2; // too small: the store is read
  auto b = connect(member(bob_id, "bob"));
  auto c = connect(member(carol_id, "carol"));
  frame(b, cmd_enter("r1", "bob"));   // 1
  frame(c, cmd_enter("r1", "carol")); // 2
  for (int i = 0; i < 3; ++i) {
    frame(b, cmd_message("r1", "bob", "b" + std::to_string(i)));
    frame(c, cmd_message("r1", "carol", "c" + std::to_string(i)));
  } // 3..8
  auto a = connect(alice_blocking({bob_id}));
  frame(a, cmd_enter("r1", "alice", 1));
  CAF_CHECK_EQUAL(texts(*a.link), (strings{"c0", "c1", "c2"}));
  CAF_CHECK_EQUAL(a.link->seqs("r1"), (seq_list{2, 4, 6, 8, 9}));
  CAF_CHECK(a.link->errors.empty());
  frame(b, cmd_message("r1", "bob", "b3"));   // 10
  frame(c, cmd_message("r1", "carol", "c3")); // 11
  CAF_CHECK_EQUAL(texts(*a.link), (strings{"c0", "c1", "c2", "c3"}));
}

CAF_TEST_FIXTURE_SCOPE_END()
