// Rooms spread over three nodes, deterministically (CAF's io_dsl): fan-out
// through one relay per node, relays that follow a moved room, and every
// message that crosses the wire arriving intact.
#define CAF_SUITE cluster_belt
#include "belt_fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

/// True when the two handles name the same actor (a proxy and its actor
/// live in different systems: compare id and node).
template <class X, class Y>
bool same_actor(const X& x, const Y& y) {
  return x && y && x.id() == y.id() && x.node() == y.node();
}

/// The link saw one contiguous run of seqs (no gap, no repeat, in order).
void check_contiguous(const recording_link& link, const std::string& room,
                      const std::string& who) {
  auto seqs = link.seqs(room);
  CAF_REQUIRE(!seqs.empty());
  CAF_CHECK_EQUAL(seqs, range(seqs.front(), seqs.back()));
  if (seqs != range(seqs.front(), seqs.back()))
    CAF_MESSAGE(who << " saw seqs " << caf::deep_to_string(seqs));
}

/// Message events of a link as (seq, text).
std::vector<std::pair<std::uint64_t, std::string>>
messages(const recording_link& link) {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  for (auto& ev : link.of_kind(event_kind::message))
    out.emplace_back(ev.seq, ev.text);
  return out;
}

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

CAF_TEST_FIXTURE_SCOPE(cluster_belt_tests, cluster_belt)

CAF_TEST(a message to a room of another node reaches every session once in one
           order through one relay per node) {
  view({&earth, &jupiter, &mars});
  auto room = room_owned_by("jupiter", {"earth", "jupiter", "mars"});
  std::vector<planet::client> cs;
  for (auto* p : all)
    for (int k = 0; k < 2; ++k) {
      cs.push_back(p->connect());
      frame(cs.back(), cmd_enter(room, p->name + "-" + std::to_string(k)));
    }
  for (auto& c : cs)
    CAF_CHECK(c.link->errors.empty());
  // Jupiter runs the room; earth and mars a relay each, which subscribed
  // once: the owner knows two relays, and the remote sessions only for
  // admission and notices.
  CAF_REQUIRE(!jupiter.room_state_of(room).is_relay);
  CAF_REQUIRE(earth.room_state_of(room).is_relay);
  CAF_REQUIRE(mars.room_state_of(room).is_relay);
  CAF_CHECK_EQUAL(jupiter.members(room, enter_role::relay), 2u);
  CAF_CHECK_EQUAL(jupiter.members(room, enter_role::relayed), 4u);
  CAF_CHECK_EQUAL(jupiter.members(room, enter_role::session), 2u);
  CAF_CHECK_EQUAL(earth.members(room, enter_role::session), 2u);
  CAF_CHECK_EQUAL(mars.members(room, enter_role::session), 2u);
  auto owner_before = jupiter.env->metrics->deliveries.load();
  auto earth_before = earth.env->metrics->deliveries.load();
  auto mars_before = mars.env->metrics->deliveries.load();
  auto& sender = cs[0]; // on earth
  std::vector<std::string> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back("m" + std::to_string(i));
    frame(sender,
          cmd_message(room, "earth-0", sent.back(), "c-" + std::to_string(i)));
  }
  CAF_CHECK_EQUAL(sender.link->acks.size(), 5u);
  // Per event the owner handed it to its 2 sessions and 2 relays (one
  // message per node), not to the 4 remote sessions; each relay to its 2.
  CAF_CHECK_EQUAL(jupiter.env->metrics->deliveries.load() - owner_before,
                  5u * 4u);
  CAF_CHECK_EQUAL(earth.env->metrics->deliveries.load() - earth_before,
                  5u * 2u);
  CAF_CHECK_EQUAL(mars.env->metrics->deliveries.load() - mars_before, 5u * 2u);
  // Every session has each message once, all in one order with one seq.
  auto reference = messages(*cs[0].link);
  CAF_REQUIRE_EQUAL(reference.size(), 5u);
  for (std::size_t i = 0; i < cs.size(); ++i) {
    CAF_CHECK_EQUAL(texts(*cs[i].link), sent);
    CAF_CHECK(messages(*cs[i].link) == reference);
    check_contiguous(*cs[i].link, room, "session " + std::to_string(i));
  }
}

CAF_TEST(relays subscribe again after the owner changes and nothing is lost
         or repeated) {
  view({&earth, &jupiter, &mars});
  auto room = room_owned_by("jupiter", {"earth", "jupiter", "mars"});
  std::vector<planet::client> cs;
  std::vector<std::string> names;
  for (auto* p : {&earth, &mars})
    for (int k = 0; k < 2; ++k) {
      cs.push_back(p->connect());
      names.push_back(p->name + "-" + std::to_string(k));
      frame(cs.back(), cmd_enter(room, names.back()));
    }
  std::vector<std::string> sent;
  auto say = [&](std::size_t who, int n) {
    for (int i = 0; i < n; ++i) {
      sent.push_back(names[who] + ":" + std::to_string(sent.size()));
      frame(cs[who], cmd_message(room, names[who], sent.back(),
                                 "c-" + std::to_string(sent.size())));
    }
  };
  say(0, 3); // earth
  say(2, 2); // mars
  auto before_move = jupiter.room_state_of(room).committed_seq;
  // Jupiter leaves (or dies): the others see a cluster of two.
  view({&earth, &mars});
  auto owner
    = *rendezvous_owner(room, std::vector<std::string>{"earth", "mars"});
  auto& now_owner = owner == "earth" ? earth : mars;
  auto& now_relay = owner == "earth" ? mars : earth;
  CAF_MESSAGE("room " << room << " moves to " << owner);
  CAF_REQUIRE(!now_owner.room_state_of(room).is_relay);
  CAF_REQUIRE(now_relay.room_state_of(room).is_relay);
  // Every session entered again, quietly, where the room is now.
  CAF_CHECK_EQUAL(now_owner.members(room, enter_role::session), 2u);
  CAF_CHECK_EQUAL(now_owner.members(room, enter_role::relayed), 2u);
  CAF_CHECK_EQUAL(now_owner.members(room, enter_role::relay), 1u);
  CAF_CHECK_EQUAL(now_relay.members(room, enter_role::session), 2u);
  CAF_CHECK_EQUAL(now_owner.room_state_of(room).committed_seq, before_move);
  say(1, 3); // earth
  say(3, 3); // mars
  say(0, 1);
  for (std::size_t i = 0; i < cs.size(); ++i) {
    CAF_CHECK(cs[i].link->errors.empty());
    CAF_CHECK(cs[i].link->closes.empty());
    check_contiguous(*cs[i].link, room, names[i]);
    CAF_CHECK_EQUAL(texts(*cs[i].link), sent);
    CAF_CHECK(messages(*cs[i].link) == messages(*cs[0].link));
  }
  // No second ENTER notice: each name entered once.
  for (auto& n : names) {
    auto notices
      = std::count_if(cs[0].link->events.begin(), cs[0].link->events.end(),
                      [&](const room_event& ev) {
                        return ev.kind == event_kind::enter && ev.sender == n;
                      });
    CAF_CHECK_LESS_OR_EQUAL(notices, 1);
  }
}

CAF_TEST(a node that joins takes over a room while messages are on their way) {
  view({&earth, &mars});
  std::string room;
  for (int i = 0; i < 1000 && room.empty(); ++i) {
    auto id = "room-" + std::to_string(i);
    if (*rendezvous_owner(id, {"earth", "mars"}) == "earth"
        && *rendezvous_owner(id, {"earth", "jupiter", "mars"}) == "jupiter")
      room = id;
  }
  CAF_REQUIRE(!room.empty());
  std::vector<planet::client> cs;
  std::vector<std::string> names;
  for (auto* p : {&earth, &mars})
    for (int k = 0; k < 2; ++k) {
      cs.push_back(p->connect());
      names.push_back(p->name + "-" + std::to_string(k));
      frame(cs.back(), cmd_enter(room, names.back()));
    }
  std::vector<std::string> sent;
  for (int i = 0; i < 3; ++i) {
    sent.push_back("before-" + std::to_string(i));
    frame(cs[i % 4], cmd_message(room, names[i % 4], sent.back(),
                                 "b-" + std::to_string(i)));
  }
  // Two messages wait in session mailboxes when jupiter joins: one from the
  // owner's node, one from a relay's.
  caf::anon_send(cs[1].actor, cmd_message(room, names[1], "racing-1", "r-1"));
  caf::anon_send(cs[3].actor, cmd_message(room, names[3], "racing-3", "r-3"));
  view({&earth, &jupiter, &mars});
  CAF_REQUIRE(!jupiter.room_state_of(room).is_relay);
  CAF_CHECK(earth.room_state_of(room).is_relay);
  CAF_CHECK(mars.room_state_of(room).is_relay);
  CAF_CHECK_EQUAL(jupiter.members(room, enter_role::relay), 2u);
  CAF_CHECK_EQUAL(jupiter.members(room, enter_role::relayed), 4u);
  // A racing message was either taken (ACK) or refused for a retry
  // (CHAT_006): never lost silently, never taken twice.
  std::vector<std::string> raced;
  for (std::size_t who : {1u, 3u}) {
    auto& link = *cs[who].link;
    auto text = "racing-" + std::to_string(who);
    auto cmid = "r-" + std::to_string(who);
    auto acked = std::any_of(link.acks.begin(), link.acks.end(),
                             [&](auto& a) { return a.client_msg_id == cmid; });
    if (!acked) {
      CAF_MESSAGE(text << " was refused; the client sends it again");
      CAF_REQUIRE(!link.errors.empty());
      CAF_CHECK(link.errors.back().code == errc::unavailable);
      link.errors.clear();
      frame(cs[who], cmd_message(room, names[who], text, cmid));
    }
    raced.push_back(text);
  }
  for (int i = 0; i < 3; ++i) {
    sent.push_back("after-" + std::to_string(i));
    frame(cs[(i + 1) % 4], cmd_message(room, names[(i + 1) % 4], sent.back(),
                                       "a-" + std::to_string(i)));
  }
  auto reference = texts(*cs[0].link);
  CAF_CHECK_EQUAL(reference.size(), sent.size() + raced.size());
  for (auto& t : sent)
    CAF_CHECK_EQUAL(std::count(reference.begin(), reference.end(), t), 1);
  for (auto& t : raced)
    CAF_CHECK_EQUAL(std::count(reference.begin(), reference.end(), t), 1);
  for (std::size_t i = 0; i < cs.size(); ++i) {
    CAF_CHECK(cs[i].link->errors.empty());
    CAF_CHECK(cs[i].link->closes.empty());
    check_contiguous(*cs[i].link, room, names[i]);
    CAF_CHECK(messages(*cs[i].link) == messages(*cs[0].link));
  }
}

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
  cluster_view view{"earth", {"earth", "mars"}, {earth.dir, proxies[0][2]}};
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
