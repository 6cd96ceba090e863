// What crosses the wire between two nodes (CAF's io_dsl): a relay's ENTER, a
// publish, events and removals arrive with every field, and so does every
// other message of the relay protocol.
#define CAF_SUITE cluster_wire
#include "belt_fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

/// Keeps every message it gets, whatever its type.
caf::behavior probe(caf::event_based_actor* self,
                    std::shared_ptr<std::vector<caf::message>> got) {
  self->set_default_handler(
    [got](caf::scheduled_actor*,
          caf::message_view& x) -> caf::result<caf::message> {
      got->push_back(x.copy_content_to_message());
      return caf::message{};
    });
  return {[](caf::unit_t) {}};
}

/// An event with every field set.
event_ptr full_event(std::uint64_t seq, event_kind kind) {
  room_event ev;
  ev.room_id = "r-wire";
  ev.seq = seq;
  ev.kind = kind;
  ev.sender = "alice";
  ev.sender_id = 42;
  ev.text = "text of " + std::to_string(seq);
  ev.ts_ms = 1'700'000'000'123;
  ev.client_msg_id = "c-" + std::to_string(seq);
  return make_event(std::move(ev));
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_wire_tests, cluster_belt)

CAF_TEST(
  an ENTER a publish events and a removal cross between two nodes intact) {
  view({&earth, &mars});
  auto room = room_owned_by("mars", {"earth", "mars"});
  auto alice = earth.connect();
  auto bob = mars.connect();
  frame(bob, cmd_enter(room, "bob"));
  frame(alice, cmd_enter(room, "alice"));
  CAF_REQUIRE(alice.link->errors.empty());
  // The relay's subscription (enter_request, role relay) and alice's ENTER
  // (role relayed, via the relay) arrived with every field.
  auto relay = earth.room_of(room);
  auto& owner = mars.room_state_of(room);
  CAF_REQUIRE(!owner.is_relay);
  std::size_t relays = 0, relayed = 0;
  for (auto& [addr, m] : owner.members) {
    if (m.role == enter_role::relay) {
      ++relays;
      CAF_CHECK(same_actor(m.handle, relay));
    } else if (m.role == enter_role::relayed) {
      ++relayed;
      CAF_CHECK(same_actor(m.handle, alice.actor));
      CAF_CHECK(same_actor(m.via, relay));
      CAF_CHECK_EQUAL(m.sender, "alice");
      CAF_CHECK(!m.quiet);
    }
  }
  CAF_CHECK_EQUAL(relays, 1u);
  CAF_CHECK_EQUAL(relayed, 1u);
  // The owner's enter_reply reached the relay: it knows the owner's room.
  auto& mirror = earth.room_state_of(room);
  CAF_CHECK(same_actor(mirror.upstream, mars.room_of(room)));
  // A publish crosses (relay -> owner), its ack comes back, the event comes
  // back as an event_batch: alice's copy equals bob's, field by field.
  frame(alice, cmd_message(room, "alice", "hello mars", "c-1"));
  CAF_REQUIRE_EQUAL(alice.link->acks.size(), 1u);
  auto a_msgs = alice.link->of_kind(event_kind::message);
  auto b_msgs = bob.link->of_kind(event_kind::message);
  CAF_REQUIRE_EQUAL(a_msgs.size(), 1u);
  CAF_REQUIRE_EQUAL(b_msgs.size(), 1u);
  CAF_CHECK(a_msgs[0] == b_msgs[0]);
  CAF_CHECK_EQUAL(a_msgs[0].text, "hello mars");
  CAF_CHECK_EQUAL(a_msgs[0].sender, "alice");
  CAF_CHECK_EQUAL(a_msgs[0].client_msg_id, "c-1");
  CAF_CHECK_EQUAL(a_msgs[0].room_id, room);
  CAF_CHECK_NOT_EQUAL(a_msgs[0].ts_ms, 0);
  CAF_CHECK_EQUAL(alice.link->acks[0].seq, a_msgs[0].seq);
  // A change sent to earth goes to the owner (room_change crosses); the
  // room is deleted and tells the relay why (removed_atom with an h2h
  // error crosses): alice hears CHAT_001 like bob.
  caf::anon_send(earth.dir, change_atom_v,
                 room_change{room, room_change_kind::deleted, 0});
  settle();
  CAF_CHECK(!mars.has_room(room));
  CAF_CHECK(codes(*bob.link) == std::vector<errc>{errc::no_such_room});
  CAF_CHECK(codes(*alice.link) == std::vector<errc>{errc::no_such_room});
}

CAF_TEST(every message of the relay protocol crosses the wire unchanged) {
  // A probe on mars, published like a directory; earth sends it each
  // message a relay, an owner or a directory sends to another node.
  auto got = std::make_shared<std::vector<caf::message>>();
  auto sink = mars.sys.spawn(probe, got);
  prepare_connection(mars, earth, "mars", port + 1);
  mars.publish(caf::actor_cast<caf::actor>(sink), port + 1);
  earth.sched.inline_next_enqueue();
  earth.sched.after_next_enqueue([this] { settle(); });
  auto remote = earth.mm.remote_actor<caf::actor>("mars", port + 1);
  CAF_REQUIRE(remote);
  auto alice = earth.connect().actor;
  // Any actor of earth stands in for a room handle: only its address
  // crosses.
  auto a_room = caf::actor_cast<room_actor>(earth.dir);
  enter_request req;
  req.session = alice;
  req.sender = "alice";
  req.sender_id = 42;
  req.last_seq = 7;
  req.role = enter_role::relayed;
  req.via = a_room;
  req.quiet = true;
  publish_request pub{"alice", 42, "hello", "c-9"};
  event_batch batch;
  batch.events
    = {full_event(8, event_kind::enter), full_event(9, event_kind::message)};
  cluster_view view{
    "earth", {"earth", "mars"}, {earth.dir, proxies[0][2]}, {"mars"}};
  std::vector<caf::message> sent{
    caf::make_message(enter_atom_v, std::string{"r-wire"}, req),
    caf::make_message(enter_atom_v, req),
    caf::make_message(enter_reply{a_room, 9}),
    caf::make_message(caf::publish_atom_v, pub),
    caf::make_message(post_atom_v, std::string{"r-wire"}, pub),
    caf::make_message(
      publish_ack{9, 1'700'000'000'123, append_status::duplicate}),
    caf::make_message(batch),
    caf::make_message(removed_atom_v, std::string{"r-wire"},
                      caf::make_error(errc::unavailable, "room moved")),
    caf::make_message(removed_atom_v, alice, caf::make_error(errc::not_member)),
    caf::make_message(moved_atom_v),
    caf::make_message(moved_atom_v, std::string{"r-wire"}, std::string{"alice"},
                      std::uint64_t{9}),
    caf::make_message(exit_atom_v, alice),
    caf::make_message(
      change_atom_v,
      room_change{"r-wire", room_change_kind::member_removed, 42}),
    caf::make_message(presence_atom_v, std::string{"r-wire"}),
    caf::make_message(std::vector<std::int64_t>{7, 42}),
    caf::make_message(idle_atom_v, std::string{"r-wire"}, std::uint64_t{3}),
    caf::make_message(nodes_atom_v, view),
  };
  for (auto& msg : sent)
    (*remote)->enqueue(
      caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, msg),
      nullptr);
  settle();
  CAF_REQUIRE_EQUAL(got->size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i)
    CAF_CHECK_EQUAL(caf::to_string((*got)[i]), caf::to_string(sent[i]));
  // The values, not only their text: the handles name earth's actors.
  auto& entered = (*got)[0].get_as<enter_request>(2);
  CAF_CHECK(entered == req);
  CAF_CHECK(same_actor(entered.via, a_room));
  CAF_CHECK(same_actor(entered.session, alice));
  auto& events = (*got)[6].get_as<event_batch>(0);
  CAF_CHECK(events == batch);
  auto& why = (*got)[7].get_as<caf::error>(2);
  CAF_CHECK(why == errc::unavailable);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  settle();
}

CAF_TEST_FIXTURE_SCOPE_END()
