// Rooms spread over three nodes, deterministically (CAF's io_dsl): fan-out
// through one relay per node, and relays and sessions that follow a room
// when its owner leaves, joins or dies.
#define CAF_SUITE cluster_belt
#include "belt_fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

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

/// Where a presence question's answer lands.
struct presence_answer {
  bool answered = false;
  std::vector<std::int64_t> ids;
};

/// Asks `dir` who is online in `room` (as the push dispatcher will).
caf::behavior ask_presence(caf::event_based_actor* self, directory_actor dir,
                           std::string room,
                           std::shared_ptr<presence_answer> out) {
  self->request(dir, caf::infinite, presence_atom_v, std::move(room))
    .then([self, out](std::vector<std::int64_t>& ids) {
      out->answered = true;
      out->ids = std::move(ids);
      self->quit();
    });
  return {[](caf::unit_t) {}};
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_belt_tests, cluster_belt)

CAF_TEST(presence is cluster wide and asked of any node) {
  view({&earth, &jupiter, &mars});
  auto room = room_owned_by("jupiter", {"earth", "jupiter", "mars"});
  auto a = earth.connect(member(101, "ann"));
  auto b = mars.connect(member(102, "ben"));
  auto c = jupiter.connect(member(103, "cid"));
  frame(a, cmd_enter(room, "ann"));
  frame(b, cmd_enter(room, "ben"));
  frame(c, cmd_enter(room, "cid"));
  auto ask = [&](planet& at) {
    auto out = std::make_shared<presence_answer>();
    at.sys.spawn(ask_presence, at.dir, room, out);
    settle();
    CAF_REQUIRE(out->answered);
    return out->ids;
  };
  // Asked of a relay's node, of the owner's, of any: the same answer, the
  // members with a live session anywhere (never a relay, never 0).
  auto everyone = std::vector<std::int64_t>{101, 102, 103};
  CAF_CHECK_EQUAL(ask(mars), everyone);
  CAF_CHECK_EQUAL(ask(jupiter), everyone);
  CAF_CHECK_EQUAL(ask(earth), everyone);
  // Ann's connection goes: she is offline (a push would reach her now).
  caf::anon_send(a.actor, disconn_atom_v);
  settle();
  CAF_CHECK_EQUAL(ask(mars), (std::vector<std::int64_t>{102, 103}));
}

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
  // A racing message is taken (ACK), by the old owner or, sent again by
  // its session, by the new one: the client need not retry.
  std::vector<std::string> raced;
  for (std::size_t who : {1u, 3u}) {
    auto& link = *cs[who].link;
    auto text = "racing-" + std::to_string(who);
    auto cmid = "r-" + std::to_string(who);
    auto acks = std::count_if(link.acks.begin(), link.acks.end(),
                              [&](auto& a) { return a.client_msg_id == cmid; });
    CAF_CHECK_EQUAL(acks, 1);
    CAF_CHECK(link.errors.empty());
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

CAF_TEST(sessions find a room again when its owner node dies) {
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
  auto say = [&](std::size_t who) {
    sent.push_back(names[who] + ":" + std::to_string(sent.size()));
    frame(cs[who], cmd_message(room, names[who], sent.back(),
                               "c-" + std::to_string(sent.size())));
  };
  say(0);
  say(2);
  // Jupiter's actors end (its relays hear it); only later do the others
  // learn from the registry that it is gone. Meanwhile the sessions retry
  // with a growing pause: time passes on earth and mars only.
  jupiter.stop();
  settle();
  view({&earth, &mars});
  for (int i = 0; i < 20; ++i) {
    earth.advance_time(std::chrono::milliseconds{500});
    mars.advance_time(std::chrono::milliseconds{500});
    settle();
  }
  auto owner = *rendezvous_owner(room, {"earth", "mars"});
  auto& now_owner = owner == "earth" ? earth : mars;
  CAF_REQUIRE(!now_owner.room_state_of(room).is_relay);
  CAF_CHECK_EQUAL(now_owner.members(room, enter_role::session), 2u);
  CAF_CHECK_EQUAL(now_owner.members(room, enter_role::relayed), 2u);
  say(1);
  say(3);
  for (std::size_t i = 0; i < cs.size(); ++i) {
    CAF_CHECK(cs[i].link->errors.empty());
    CAF_CHECK(cs[i].link->closes.empty());
    check_contiguous(*cs[i].link, room, names[i]);
    CAF_CHECK_EQUAL(texts(*cs[i].link), sent);
  }
}

CAF_TEST(messages on their way when the owner node dies are sent again by their
           sessions and stored once) {
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
  frame(cs[0], cmd_message(room, names[0], "before", "b-0"));
  // Each session has a message in its mailbox as jupiter's actors end: the
  // relays forward them to an owner that is gone (or refuse them when it
  // went first). Then the others learn that jupiter left.
  for (std::size_t who = 0; who < cs.size(); ++who)
    caf::anon_send(cs[who].actor,
                   cmd_message(room, names[who], "flight-" + names[who],
                               "f-" + std::to_string(who)));
  jupiter.stop();
  settle();
  view({&earth, &mars});
  for (int i = 0; i < 20; ++i) {
    earth.advance_time(std::chrono::milliseconds{500});
    mars.advance_time(std::chrono::milliseconds{500});
    settle();
  }
  auto owner = *rendezvous_owner(room, {"earth", "mars"});
  auto& now_owner = owner == "earth" ? earth : mars;
  CAF_REQUIRE(!now_owner.room_state_of(room).is_relay);
  for (std::size_t who = 0; who < cs.size(); ++who) {
    auto& link = *cs[who].link;
    auto cmid = "f-" + std::to_string(who);
    CAF_CHECK_EQUAL(
      std::count_if(link.acks.begin(), link.acks.end(),
                    [&](auto& a) { return a.client_msg_id == cmid; }),
      1);
    CAF_CHECK(link.errors.empty());
    CAF_CHECK(link.closes.empty());
    check_contiguous(link, room, names[who]);
    CAF_CHECK(messages(link) == messages(*cs[0].link));
  }
  // Each message is in the room once, with one seq.
  auto seen = texts(*cs[0].link);
  for (auto& n : names)
    CAF_CHECK_EQUAL(std::count(seen.begin(), seen.end(), "flight-" + n), 1);
  CAF_CHECK_EQUAL(std::count(seen.begin(), seen.end(), "before"), 1);
}

CAF_TEST(an enter on its way to an owner that goes away is answered at once) {
  view({&earth, &jupiter, &mars});
  auto room = room_owned_by("jupiter", {"earth", "jupiter", "mars"});
  auto a = earth.connect();
  frame(a, cmd_enter(room, "ann"));
  CAF_REQUIRE(earth.room_state_of(room).is_relay);
  // Bob's ENTER reaches earth's relay, which asks jupiter; before jupiter
  // reads it, earth learns that jupiter left and retires the relay.
  auto b = earth.connect();
  caf::anon_send(b.actor, cmd_enter(room, "bob"));
  while (earth.sched.try_run_once() || earth.mpx.try_exec_runnable())
    ; // earth only: the relay's request is on the wire, unread
  view({&earth, &mars});
  // Told at once (not after the session's 35 s deadline) to ENTER again.
  CAF_REQUIRE_EQUAL(b.link->errors.size(), 1u);
  CAF_CHECK(b.link->errors[0].code == errc::room_moved);
  CAF_CHECK(b.link->errors[0].message.find("ENTER it again")
            != std::string::npos);
  frame(b, cmd_enter(room, "bob"));
  CAF_CHECK_EQUAL(b.link->errors.size(), 1u);
  auto owner = *rendezvous_owner(room, {"earth", "mars"});
  auto& now_owner = owner == "earth" ? earth : mars;
  CAF_CHECK_EQUAL(now_owner.members(room, enter_role::session)
                    + now_owner.members(room, enter_role::relayed),
                  2u);
  frame(b, cmd_message(room, "bob", "hello", "h-1"));
  CAF_CHECK_EQUAL(texts(*a.link), std::vector<std::string>{"hello"});
  CAF_CHECK_EQUAL(texts(*b.link), std::vector<std::string>{"hello"});
}

CAF_TEST_FIXTURE_SCOPE_END()
