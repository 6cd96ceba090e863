// The admin actor in a cluster: two nodes' directories and admin actors in
// one coordinator; a third node that never answers.
#define CAF_SUITE admin_cluster
#include "admin/admin_fixture.hpp"

#include "actors/cluster/rendezvous.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

struct two_nodes : admin_fixture {
  std::shared_ptr<room_env> env_b = std::make_shared<room_env>(*env);
  directory_actor dir_b;
  admin_actor admin_b;
  std::vector<std::string> node_ids{"a", "b"};

  two_nodes() {
    env_b->metrics = std::make_shared<node_metrics>();
    dir_b = sys.spawn(room_directory, env_b);
    admin_b = sys.spawn(node_admin, settings_for("b", dir_b, env_b->metrics));
    consume_messages();
    view({dir, dir_b});
  }

  ~two_nodes() override {
    for (auto& s : sessions)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
    sessions.clear();
    caf::anon_send_exit(admin_b, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(dir_b, caf::exit_reason::user_shutdown);
    consume_messages();
  }

  /// Tells both directories the live nodes (and through them their admin
  /// actors).
  void view(std::vector<directory_actor> entries) {
    for (std::size_t k = 0; k < 2; ++k)
      caf::anon_send(k == 0 ? dir : dir_b, nodes_atom_v,
                     cluster_view{node_ids[k], node_ids, entries, {}});
    consume_messages();
  }

  /// A room id that node `owner` owns.
  std::string room_owned_by(const std::string& owner) {
    for (int i = 0;; ++i) {
      auto id = "room" + std::to_string(i);
      auto* o = rendezvous_owner(id, node_ids);
      if (o && *o == owner)
        return id;
    }
  }

  /// A client of node b.
  client connect_b(session_identity id) {
    auto link = std::make_shared<recording_link>();
    auto e = std::make_shared<session_env>(senv);
    e->admin = admin_b;
    auto s = sys.spawn(session, link, dir_b, std::move(id),
                       std::shared_ptr<const session_env>(e));
    sessions.push_back(s);
    return {link, s};
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(admin_cluster_tests, two_nodes)

CAF_TEST(a room asked on one node answers with the view of its owner node) {
  auto id = room_owned_by("b");
  auto on_b = connect_b(member_on(2, "bob", "raw"));
  auto on_a = connect(member_on(1, "alice", "stomp"));
  frame(on_b, cmd_enter(id, ""));
  frame(on_a, cmd_enter(id, ""));
  say(on_a, id, "", "hi from a");
  CAF_CHECK_EQUAL(texts(*on_b.link), (std::vector<std::string>{"hi from a"}));
  auto req = cmd("room");
  req.room = id;
  auto r = ask(req); // asked on node a
  CAF_REQUIRE_EQUAL(r.error, "");
  CAF_REQUIRE_EQUAL(r.rooms.size(), 1u);
  auto& room = r.rooms.front();
  CAF_CHECK_EQUAL(room.node, "b");
  CAF_CHECK_EQUAL(room.owner, "b");
  CAF_CHECK_EQUAL(room.relay, false);
  CAF_CHECK_EQUAL(room.seq, 3u);
  CAF_CHECK_EQUAL(room.members_online, 2u);
  // b's own session by protocol; a's through its relay, per node.
  std::uint64_t raw = 0;
  std::uint64_t relayed = 0;
  for (auto& [k, n] : room.subscribers) {
    if (k == "raw")
      raw = n;
    else if (k.rfind("node:", 0) == 0)
      relayed += n;
  }
  CAF_CHECK_EQUAL(raw, 1u);
  CAF_CHECK_EQUAL(relayed, 1u);
  CAF_CHECK(r.unanswered.empty());
  // The listing has the room once, as its owner sees it.
  auto all = ask(cmd("rooms"));
  CAF_REQUIRE_EQUAL(all.rooms.size(), 1u);
  CAF_CHECK_EQUAL(all.rooms.front().node, "b");
}

CAF_TEST(nodes sessions and kick cover both nodes) {
  auto a1 = connect(member_on(1, "alice", "raw"));
  auto a2 = connect_b(member_on(1, "alice", "sse"));
  auto b = connect_b(member_on(2, "bob", "raw"));
  auto n = ask(cmd("nodes"));
  CAF_REQUIRE_EQUAL(n.nodes.size(), 2u);
  CAF_CHECK_EQUAL(n.nodes[0].id, "a");
  CAF_CHECK_EQUAL(n.nodes[0].sessions, 1u);
  CAF_CHECK_EQUAL(n.nodes[1].id, "b");
  CAF_CHECK_EQUAL(n.nodes[1].sessions, 2u);
  auto m = cmd("member");
  m.member = 1;
  auto s = ask(m);
  CAF_REQUIRE_EQUAL(s.sessions.size(), 2u);
  std::vector<std::string> nodes{s.sessions[0].node, s.sessions[1].node};
  std::sort(nodes.begin(), nodes.end());
  CAF_CHECK_EQUAL(nodes, (std::vector<std::string>{"a", "b"}));
  auto only_b = cmd("nodes");
  only_b.node = "b";
  CAF_CHECK_EQUAL(ask(only_b).nodes.size(), 1u);
  only_b.node = "z";
  CAF_CHECK_EQUAL(ask(only_b).error, admin::not_found);
  auto k = cmd("kick");
  k.member = 1;
  CAF_CHECK_EQUAL(ask(k).count, 2u);
  CAF_CHECK_EQUAL(a1.link->ends, (std::vector<end_reason>{end_reason::kicked}));
  CAF_CHECK_EQUAL(a2.link->ends, (std::vector<end_reason>{end_reason::kicked}));
  CAF_CHECK(b.link->ends.empty());
}

CAF_TEST(blocks reach the sessions of the member on both nodes and the relays filter) {
  auto id = room_owned_by("b");
  auto alice_a = connect(member_on(1, "alice", "raw"));
  auto alice_b = connect_b(member_on(1, "alice", "stomp"));
  auto bob_b = connect_b(member_on(2, "bob", "raw"));
  auto carol_a = connect(member_on(3, "carol", "raw"));
  for (auto* c : {&alice_a, &alice_b, &bob_b, &carol_a})
    frame(*c, cmd_enter(id, ""));
  auto r = ask(admin::blocks_request(1, {2}));
  CAF_CHECK_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.count, 2u); // one session on each node
  say(bob_b, id, "", "hidden");
  say(carol_a, id, "", "visible");
  using strings = std::vector<std::string>;
  // Alice on a gets events through a's relay, on b from the owner.
  CAF_CHECK_EQUAL(texts(*alice_a.link), (strings{"visible"}));
  CAF_CHECK_EQUAL(texts(*alice_b.link), (strings{"visible"}));
  CAF_CHECK_EQUAL(texts(*carol_a.link), (strings{"hidden", "visible"}));
  CAF_CHECK_EQUAL(ask(admin::blocks_request(1, {})).count, 2u);
  say(bob_b, id, "", "after");
  CAF_CHECK_EQUAL(texts(*alice_a.link), (strings{"visible", "after"}));
  CAF_CHECK_EQUAL(texts(*alice_b.link), (strings{"visible", "after"}));
}

CAF_TEST(a node that never answers is named after the timeout) {
  auto env_c = std::make_shared<room_env>(*env);
  env_c->metrics = std::make_shared<node_metrics>();
  auto dir_c = sys.spawn(room_directory, env_c);
  node_ids = {"a", "b", "c"};
  for (std::size_t k = 0; k < 2; ++k)
    caf::anon_send(
      k == 0 ? dir : dir_b, nodes_atom_v,
      cluster_view{node_ids[k], node_ids, {dir, dir_b, dir_c}, {}});
  run_except(dir_c); // c is hung: it never runs
  admin_reply out;
  bool got = false;
  auto h = self->request(admin, caf::infinite, admin_atom_v, cmd("nodes"));
  run_except(dir_c);
  // Nothing yet: the answer waits for c until the timeout.
  advance_time(std::chrono::milliseconds{2000});
  run_except(dir_c);
  h.receive(
    [&](admin_reply& r) {
      out = std::move(r);
      got = true;
    },
    [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_REQUIRE(got);
  CAF_CHECK_EQUAL(out.error, "");
  CAF_REQUIRE_EQUAL(out.nodes.size(), 2u);
  CAF_CHECK_EQUAL(out.nodes[0].id, "a");
  CAF_CHECK_EQUAL(out.nodes[1].id, "b");
  CAF_CHECK_EQUAL(out.unanswered, (std::vector<std::string>{"c"}));
  caf::anon_send_exit(dir_c, caf::exit_reason::user_shutdown);
  consume_messages();
}

CAF_TEST_FIXTURE_SCOPE_END()
