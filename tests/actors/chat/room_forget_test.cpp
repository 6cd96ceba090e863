// A member deletes their account while a room runs: the room's replay ring
// shows the neutral sender, the member's session leaves without a notice,
// and the member can post no more.
#define CAF_SUITE room_forget
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

room_change deleted(std::int64_t member) {
  return room_change{{}, room_change_kind::member_deleted, member};
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(room_forget_tests, node_fixture)

CAF_TEST(a deleted member replays under the neutral name and leaves unheard) {
  auto alice = connect(member(7, "alice"));
  auto bob = connect(member(8, "bob"));
  frame(alice, cmd_enter("r1", "alice"));                // 1
  frame(bob, cmd_enter("r1", "bob"));                    // 2
  frame(alice, cmd_message("r1", "alice", "hi", "c-1")); // 3
  frame(bob, cmd_message("r1", "bob", "hello"));         // 4
  // No room id: every room of the node (and, in a cluster, of every node).
  caf::anon_send(dir, change_atom_v, deleted(7));
  consume_messages();
  frame(alice, cmd_message("r1", "alice", "after"));
  CAF_REQUIRE(!alice.link->errors.empty());
  CAF_CHECK(alice.link->errors.back().code == errc::forbidden);
  disconnect(alice);
  CAF_CHECK(bob.link->of_kind(event_kind::exit).empty());
  // A replay from the ring: alice's events as the store has them now.
  auto carol = connect(member(9, "carol"));
  frame(carol, cmd_enter("r1", "carol", 0));
  auto& got = carol.link->events;
  CAF_REQUIRE(got.size() >= 4u);
  CAF_CHECK_EQUAL(got[0].sender, "deleted member");
  CAF_CHECK_EQUAL(got[0].sender_id, 0);
  CAF_CHECK_EQUAL(got[0].text, "deleted member entered.");
  CAF_CHECK_EQUAL(got[2].sender, "deleted member");
  CAF_CHECK_EQUAL(got[2].text, "hi");
  CAF_CHECK_EQUAL(got[2].client_msg_id, "");
  CAF_CHECK_EQUAL(got[3].sender, "bob"); // others keep their names
  CAF_CHECK_EQUAL(got[3].sender_id, 8);
  CAF_CHECK_EQUAL(carol.link->seqs("r1").size(), 5u); // 1..4 and carol's
}

CAF_TEST_FIXTURE_SCOPE_END()
