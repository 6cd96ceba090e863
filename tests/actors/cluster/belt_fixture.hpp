// Three h2h nodes (earth, jupiter, mars) in one process under CAF's io_dsl:
// each its own actor system on the deterministic coordinator, a simulated
// network between them, one shared SQLite file (a cluster shares its store).
#pragma once

#define FAIL(msg) CAF_FAIL(msg)

#include <caf/io/all.hpp>
#include <caf/test/io_dsl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fixture.hpp"

#include "actors/chat/room_actor.hpp"
#include "actors/chat/room_directory.hpp"
#include "actors/chat/session_actor.hpp"
#include "actors/cluster/rendezvous.hpp"
#include "actors/store/persistence_actor.hpp"
#include "actors/vocabulary/type_ids.hpp"
#include "actors/vocabulary/types.hpp"
#include "persistence/sql/sql.hpp"
#include "persistence/sql/sql_store.hpp"

namespace h2h::test {

/// True when the two handles name the same actor (a proxy and its actor
/// live in different systems: compare id and node).
template <class X, class Y>
inline bool same_actor(const X& x, const Y& y) {
  return x && y && x.id() == y.id() && x.node() == y.node();
}

/// h2h's types and the middleman: what every cluster node runs.
struct planet_config : caf::actor_system_config {
  planet_config() {
    register_types(*this);
    load<caf::io::middleman>();
  }
};

/// Sessions may send as fast as a test wants.
inline std::shared_ptr<const session_env> fast_sessions() {
  auto e = std::make_shared<session_env>();
  e->message_rate = 1e9;
  e->message_burst = 1e9;
  return e;
}

/// One node's actors: persistence on the shared file, the directory, and
/// sessions with recording links.
struct planet_base : test_coordinator_fixture<planet_config> {
  std::string name;
  std::int64_t fake_now = 1'700'000'000'000;
  std::shared_ptr<room_env> env = std::make_shared<room_env>();
  persistence_actor persist;
  directory_actor dir;
  std::vector<session_actor> sessions;
  std::shared_ptr<const session_env> senv = fast_sessions();

  /// Starts persistence (workers scheduled, not detached: every step is
  /// deterministic) on the SQLite file `db`, and the directory.
  void start(std::string node_name, const std::string& db) {
    name = std::move(node_name);
    env->idle_timeout = std::chrono::milliseconds{1000};
    env->now_ms = [this] { return ++fake_now; };
    persistence_settings pcfg;
    pcfg.batch_max = 64;
    pcfg.batch_window = std::chrono::milliseconds{0};
    pcfg.detached_workers = false;
    pcfg.read_workers = 1;
    pcfg.metrics = env->metrics;
    auto factory = [db]() -> std::unique_ptr<store> {
      auto s = make_sql_store(sql::open_sqlite(db));
      s->migrate();
      return s;
    };
    persist = sys.spawn(persistence, factory, pcfg);
    env->persistence = persist;
    dir = sys.spawn(room_directory, env);
  }

  /// Ends the node's actors as a shutdown does.
  void stop() {
    for (auto& s : sessions)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
    sessions.clear();
    if (dir)
      caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    if (persist)
      caf::anon_send_exit(persist, caf::exit_reason::user_shutdown);
    dir = nullptr;
    persist = nullptr;
    env->persistence = nullptr;
  }

  struct client {
    std::shared_ptr<recording_link> link;
    session_actor actor;
  };

  /// A session of this node (trusted mode unless `who` is authenticated).
  client connect(session_identity who = {}) {
    auto link = std::make_shared<recording_link>();
    auto s = sys.spawn(session, link, dir, std::move(who), senv);
    sessions.push_back(s);
    return {link, s};
  }

  /// The room or relay of `id` on this node (the test fails if there is
  /// none).
  room_actor room_of(const std::string& id) {
    auto& st
      = deref<directory_actor::stateful_base<directory_state>>(dir).state;
    auto i = st.rooms.find(id);
    CAF_REQUIRE(i != st.rooms.end());
    return i->second.room;
  }

  bool has_room(const std::string& id) {
    auto& st
      = deref<directory_actor::stateful_base<directory_state>>(dir).state;
    return st.rooms.count(id) > 0;
  }

  room_state& room_state_of(const std::string& id) {
    return deref<room_impl::stateful_base<room_state>>(room_of(id)).state;
  }

  /// Members of the room (or relay) `id` here with the role given.
  std::size_t members(const std::string& id, enter_role role) {
    auto& st = room_state_of(id);
    return static_cast<std::size_t>(
      std::count_if(st.members.begin(), st.members.end(),
                    [role](auto& kv) { return kv.second.role == role; }));
  }
};

using planet = test_node_fixture<planet_base>;

/// The belt: three planets whose directories are published and connected
/// to each other in both directions (as every node connects to every peer).
/// Only messages and network traffic run; timers fire only when a test
/// advances a clock (exec_all() would fire every pending timeout).
struct cluster_belt : belt_fixture<planet_base> {
  struct scratch {
    std::string path;
    scratch() {
      char tmpl[] = "/tmp/h2h-belt-test-XXXXXX";
      path = mkdtemp(tmpl);
    }
    ~scratch() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } dir_;
  std::array<planet*, 3> all{{&earth, &jupiter, &mars}};
  static constexpr std::uint16_t port = 4242;
  /// proxies[i][j]: planet j's directory as planet i knows it.
  std::array<std::array<directory_actor, 3>, 3> proxies;

  cluster_belt() {
    auto db = dir_.path + "/h2h.db";
    earth.start("earth", db);
    jupiter.start("jupiter", db);
    mars.start("mars", db);
    settle();
    std::array<accept_handle, 3> acceptors;
    for (auto& a : acceptors)
      a = next_accept_handle();
    for (std::size_t s = 0; s < 3; ++s)
      for (std::size_t c = 0; c < 3; ++c)
        if (s != c)
          prepare_connection(*all[s], *all[c], all[s]->name, port,
                             acceptors[s]);
    for (auto* p : all)
      p->publish(p->dir, port);
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t s = 0; s < 3; ++s)
        proxies[c][s] = s == c ? all[c]->dir : connect_to(*all[c], *all[s]);
  }

  ~cluster_belt() {
    for (auto* p : all)
      p->stop();
    settle();
  }

  /// Runs every message and all network traffic of all planets until
  /// nothing moves (bounded: a loop of messages fails the test).
  void settle() {
    // Runnables first: read_data() runs pending runnables itself (which may
    // send data to a peer) yet answers false when no data came in. In
    // io_dsl's order (read_data first) the loop could stop with data still
    // on its way, delivered only by the next settle(): late, out of order.
    auto step = [](planet* p) {
      return p->sched.try_run_once() || p->mpx.try_exec_runnable()
             || p->mpx.read_data() || p->mpx.try_accept_connection();
    };
    std::size_t steps = 0;
    while (std::any_of(all.begin(), all.end(), step))
      if (++steps > 1'000'000)
        CAF_FAIL("the planets never settle");
  }

  /// `client` gets a proxy of `server`'s published directory.
  directory_actor connect_to(planet& client, planet& server) {
    client.sched.inline_next_enqueue();
    client.sched.after_next_enqueue([this] { settle(); });
    auto res = client.mm.remote_actor<directory_actor>(server.name, port);
    CAF_REQUIRE(res);
    return *res;
  }

  std::size_t index(const planet& p) const {
    return static_cast<std::size_t>(std::find(all.begin(), all.end(), &p)
                                    - all.begin());
  }

  /// Tells every planet in `live` that the live nodes are `live`, each
  /// with its own handles (what its cluster actor would send).
  void view(std::vector<planet*> live) {
    std::sort(live.begin(), live.end(),
              [](planet* x, planet* y) { return x->name < y->name; });
    for (auto* p : live) {
      cluster_view v;
      v.self = p->name;
      for (auto* q : live) {
        v.ids.push_back(q->name);
        v.entries.push_back(proxies[index(*p)][index(*q)]);
      }
      caf::anon_send(p->dir, nodes_atom_v, std::move(v));
    }
    settle();
  }

  /// A room id that rendezvous hashing gives to `owner` among `ids`.
  static std::string room_owned_by(const std::string& owner,
                                   std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    for (int i = 0; i < 1000; ++i) {
      auto id = "room-" + std::to_string(i);
      if (*rendezvous_owner(id, ids) == owner)
        return id;
    }
    CAF_FAIL("no room id for " << owner);
    return {};
  }

  /// Sends a frame to a session as its connection would; all settles.
  void frame(const planet::client& c, client_command cmd) {
    caf::anon_send(c.actor, std::move(cmd));
    settle();
  }
};

} // namespace h2h::test
