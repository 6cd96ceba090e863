// Directory and room: a message posted without a session (the HTTP send):
// committed and fanned out like any publish, idempotent by clientMsgId,
// refused for a private room's strangers, never creating a room, and
// counted in the room's idle handshake like an ENTER.
#define CAF_SUITE room_post
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

publish_request post_of(std::int64_t member, std::string name, std::string text,
                        std::string cmid = {}) {
  return publish_request{std::move(name), member, std::move(text),
                         std::move(cmid)};
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(room_post_tests, node_fixture)

CAF_TEST(a post is committed then fanned out and a retry answers the same seq) {
  factory()()->create_room({"open", "open", 1, false, 1, {}});
  auto a = connect(member(7, "alice"));
  frame(a, cmd_enter("open", ""));
  auto h = self->request(dir, caf::infinite, post_atom_v, std::string{"open"},
                         post_of(9, "bob", "hi", "p-1"));
  consume_messages();
  publish_ack first;
  h.receive([&](publish_ack& ack) { first = ack; },
            [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(first.seq, 2u); // after alice's ENTER notice
  CAF_CHECK(a.link->seqs("open") == (std::vector<std::uint64_t>{1, 2}));
  CAF_CHECK_EQUAL(a.link->events.back().text, "hi");
  CAF_CHECK_EQUAL(a.link->events.back().sender_id, 9);
  auto again
    = self->request(dir, caf::infinite, post_atom_v, std::string{"open"},
                    post_of(9, "bob", "hi", "p-1"));
  consume_messages();
  again.receive([&](publish_ack& ack) { CAF_CHECK_EQUAL(ack.seq, first.seq); },
                [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK(a.link->seqs("open") == (std::vector<std::uint64_t>{1, 2}));
  // Posting made bob a member of the public room (recorded once).
  auto& st = deref<room_impl::stateful_base<room_state>>(room_of("open")).state;
  CAF_CHECK_EQUAL(st.recorded.count(9), 1u);
}

CAF_TEST(a post to a private room is for its members only) {
  factory()()->create_room({"secret", "secret", 7, true, 1, {7}});
  auto stranger = self->request(dir, caf::infinite, post_atom_v,
                                std::string{"secret"}, post_of(9, "bob", "x"));
  consume_messages();
  stranger.receive(
    [&](publish_ack&) { CAF_FAIL("a stranger posted to a private room"); },
    [&](caf::error& err) { CAF_CHECK(to_errc(err) == errc::not_member); });
  auto owner = self->request(dir, caf::infinite, post_atom_v,
                             std::string{"secret"}, post_of(7, "alice", "y"));
  consume_messages();
  owner.receive([&](publish_ack& ack) { CAF_CHECK_EQUAL(ack.seq, 1u); },
                [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
}

CAF_TEST(a post never creates a room and the refused room stops) {
  auto h = self->request(dir, caf::infinite, post_atom_v,
                         std::string{"nowhere"}, post_of(7, "alice", "x"));
  consume_messages();
  h.receive(
    [&](publish_ack&) { CAF_FAIL("posted to a room nobody made"); },
    [&](caf::error& err) { CAF_CHECK(to_errc(err) == errc::no_such_room); });
  CAF_CHECK(!factory()()->room_exists("nowhere"));
  CAF_CHECK(room_ids().empty());
}

CAF_TEST(a room with no members stops after a post once idle) {
  factory()()->create_room({"quiet", "quiet", 1, false, 1, {}});
  auto h = self->request(dir, caf::infinite, post_atom_v, std::string{"quiet"},
                         post_of(7, "alice", "x"));
  consume_messages();
  h.receive([&](publish_ack& ack) { CAF_CHECK_EQUAL(ack.seq, 1u); },
            [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"quiet"}));
  advance_time(env->idle_timeout);
  consume_messages();
  CAF_CHECK(room_ids().empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
