// A node that drains leaves the rooms' owners at once (cluster views with
// `leaving`), deterministically on three io_dsl planets: its rooms move to
// the other nodes while its sessions go on through relays, a peer that
// still thinks it owns a room is refused (and retries) rather than served,
// and nothing acknowledged is lost, repeated or given two seqs.
#define CAF_SUITE cluster_leave
#include "belt_fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

struct leave_belt : cluster_belt {
  /// Tells `p` (only) that `live` are the live nodes and `leaving` leave.
  void send_view(planet& p, std::vector<planet*> live,
                 std::vector<std::string> leaving) {
    std::sort(live.begin(), live.end(),
              [](planet* x, planet* y) { return x->name < y->name; });
    std::sort(leaving.begin(), leaving.end());
    cluster_view v;
    v.self = p.name;
    for (auto* q : live) {
      v.ids.push_back(q->name);
      v.entries.push_back(proxies[index(p)][index(*q)]);
    }
    v.leaving = std::move(leaving);
    caf::anon_send(p.dir, nodes_atom_v, std::move(v));
  }

  /// Runs everything, letting time pass (sessions retry refused re-ENTERs
  /// after 100 ms, 200 ms, ...) until all is quiet.
  void pass_time() {
    settle();
    for (int i = 0; i < 30; ++i) {
      for (auto* p : all)
        p->advance_time(std::chrono::milliseconds{100});
      settle();
    }
  }

  directory_state& directory_of(planet& p) {
    return p.deref<directory_actor::stateful_base<directory_state>>(p.dir)
      .state;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_leave_tests, leave_belt)

CAF_TEST(a leaving node hands its rooms over and its sessions go on) {
  view({&earth, &jupiter, &mars});
  auto room = room_owned_by("jupiter", {"earth", "jupiter", "mars"});
  auto heir
    = *rendezvous_owner(room, std::vector<std::string>{"earth", "mars"});
  auto& next_owner = heir == "earth" ? earth : mars;
  std::vector<planet::client> cs;
  std::vector<std::string> names;
  for (auto* p : {&jupiter, &jupiter, &earth, &mars}) {
    cs.push_back(p->connect());
    names.push_back(p->name + "-" + std::to_string(cs.size()));
    frame(cs.back(), cmd_enter(room, names.back()));
  }
  std::vector<std::string> sent;
  auto say = [&](std::size_t who) {
    sent.push_back(names[who] + ":" + std::to_string(sent.size()));
    frame(cs[who], cmd_message(room, names[who], sent.back(),
                               "c-" + std::to_string(sent.size())));
  };
  for (std::size_t who = 0; who < cs.size(); ++who)
    say(who);
  CAF_REQUIRE(!jupiter.room_state_of(room).is_relay);
  // Jupiter drains: it learns first (its own cluster actor), the others a
  // registry round trip later. A message of its own is on its way.
  caf::anon_send(cs[1].actor,
                 cmd_message(room, names[1], "racing", "c-racing"));
  send_view(jupiter, {&earth, &jupiter, &mars}, {"jupiter"});
  settle();
  CAF_CHECK(directory_of(jupiter).withdrawn);
  // A peer that still thinks jupiter owns the room is refused, not served:
  // jupiter never starts the room again.
  for (auto& [id, entry] : directory_of(jupiter).rooms)
    CAF_CHECK(!entry.owner_node.empty());
  send_view(earth, {&earth, &jupiter, &mars}, {"jupiter"});
  send_view(mars, {&earth, &jupiter, &mars}, {"jupiter"});
  pass_time();
  // The room lives on its heir; jupiter relays it to its two sessions,
  // which are still connected and still served.
  CAF_REQUIRE(!next_owner.room_state_of(room).is_relay);
  CAF_REQUIRE(jupiter.room_state_of(room).is_relay);
  CAF_CHECK_EQUAL(jupiter.members(room, enter_role::session), 2u);
  CAF_CHECK_EQUAL(next_owner.members(room, enter_role::relayed), 2u + 1u);
  sent.push_back("racing");
  for (std::size_t who = 0; who < cs.size(); ++who)
    say(who);
  for (std::size_t i = 0; i < cs.size(); ++i) {
    CAF_CHECK(cs[i].link->errors.empty());
    CAF_CHECK(cs[i].link->closes.empty());
    auto seqs = cs[i].link->seqs(room);
    CAF_REQUIRE(!seqs.empty());
    CAF_CHECK_EQUAL(seqs, range(seqs.front(), seqs.back()));
  }
  // Every message once, the racing one included (acknowledged once).
  auto got = texts(*cs[0].link);
  CAF_CHECK_EQUAL(got.size(), sent.size());
  for (auto& t : sent)
    CAF_CHECK_EQUAL(std::count(got.begin(), got.end(), t), 1);
  auto& acks = cs[1].link->acks;
  CAF_CHECK_EQUAL(
    std::count_if(acks.begin(), acks.end(),
                  [](auto& a) { return a.client_msg_id == "c-racing"; }),
    1);
}

CAF_TEST(when every node leaves the rooms stay where they are) {
  view({&earth, &jupiter, &mars});
  auto room = room_owned_by("jupiter", {"earth", "jupiter", "mars"});
  auto c = earth.connect();
  frame(c, cmd_enter(room, "ann"));
  for (auto* p : all)
    send_view(*p, {&earth, &jupiter, &mars}, {"earth", "jupiter", "mars"});
  pass_time();
  // Somebody must own each room: the owners are all nodes again.
  CAF_CHECK(!directory_of(jupiter).withdrawn);
  CAF_CHECK(!jupiter.room_state_of(room).is_relay);
  CAF_CHECK(earth.room_state_of(room).is_relay);
  frame(c, cmd_message(room, "ann", "still here", "c-1"));
  CAF_CHECK_EQUAL(c.link->acks.size(), 1u);
  CAF_CHECK(c.link->errors.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
