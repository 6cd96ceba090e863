// The cluster actor: registration, the node set, connections to peers.
#include "actors/cluster/cluster_actor.hpp"

#include <algorithm>
#include <set>

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <spdlog/spdlog.h>

namespace h2h {

namespace {

// -- registry workers (detached: their calls block)
// --------------------------------

struct registry_worker_state {
  std::unique_ptr<node_registry> registry;
  /// This node's record (leaving once the node drains).
  node_record me;
  static inline const char* name = "h2h.registry";
};

using registry_worker_pointer
  = registry_actor::stateful_pointer<registry_worker_state>;

registry_actor::behavior_type
registry_worker(registry_worker_pointer self,
                std::function<std::unique_ptr<node_registry>()> make,
                node_record me, std::chrono::milliseconds ttl) {
  self->state.me = std::move(me);
  return {
    [self, make, ttl](scan_atom) -> caf::result<std::vector<node_record>> {
      try {
        if (!self->state.registry)
          self->state.registry = make();
        self->state.registry->announce(self->state.me, ttl);
        return self->state.registry->scan();
      } catch (const std::exception& e) {
        return caf::make_error(errc::unavailable, e.what());
      }
    },
    [self, make, ttl](caf::leave_atom) {
      auto& st = self->state;
      st.me.leaving = true;
      try {
        if (!st.registry)
          st.registry = make();
        st.registry->announce(st.me, ttl); // says "leaving" on the channel
      } catch (const std::exception& e) {
        // The next heartbeat's announce says it again.
        spdlog::warn("cluster: could not announce node {} as leaving: {}",
                     st.me.id, e.what());
      }
    },
    [self](withdraw_atom) {
      auto& st = self->state;
      try {
        if (st.registry)
          st.registry->withdraw(st.me.id);
      } catch (const std::exception& e) {
        spdlog::warn("cluster: could not withdraw node {}: {}", st.me.id,
                     e.what());
      }
    },
  };
}

struct watcher_state {
  std::unique_ptr<node_watch> watch;
  static inline const char* name = "h2h.registry-watch";
};

/// Waits on the registry's channel, one bounded wait per message, so that
/// an exit message gets through between waits.
caf::behavior
registry_watcher(caf::stateful_actor<watcher_state>* self,
                 std::function<std::unique_ptr<node_watch>()> make,
                 cluster_actor parent, std::chrono::milliseconds period) {
  self->send(self, watch_atom_v);
  return {
    [self, make, parent, period](watch_atom) {
      try {
        if (!self->state.watch)
          self->state.watch = make();
        if (self->state.watch->wait_change(period))
          self->send(parent, changed_atom_v);
        self->send(self, watch_atom_v);
      } catch (const std::exception&) {
        // Redis is away: the heartbeat's scan says so; try again later.
        self->delayed_send(self, period, watch_atom_v);
      }
    },
  };
}

// -- the node set
// -------------------------------------------------------------------

/// Tells the directory the live nodes (this one and every connected peer)
/// and which of them leave, unless that is what it was told last.
void publish_view(cluster_pointer self) {
  auto& st = self->state;
  std::vector<std::pair<std::string, directory_actor>> live;
  cluster_view view;
  view.self = st.cfg.self.id;
  live.emplace_back(st.cfg.self.id, st.directory);
  if (st.leaving)
    view.leaving.push_back(st.cfg.self.id);
  for (auto& [id, p] : st.peers)
    if (p.entry) {
      live.emplace_back(id, p.entry);
      if (p.record.leaving)
        view.leaving.push_back(id);
    }
  std::sort(live.begin(), live.end(),
            [](auto& a, auto& b) { return a.first < b.first; });
  std::sort(view.leaving.begin(), view.leaving.end());
  for (auto& [id, entry] : live) {
    view.ids.push_back(id);
    view.entries.push_back(entry);
  }
  st.board->nodes.store(view.ids.size(), std::memory_order_relaxed);
  if (view.ids == st.sent_ids && view.leaving == st.sent_leaving)
    return; // same nodes (a reconnect replaces an entry only after a drop)
  st.sent_ids = view.ids;
  st.sent_leaving = view.leaving;
  std::string names, leaving;
  for (auto& id : view.ids)
    names += (names.empty() ? "" : ", ") + id;
  for (auto& id : view.leaving)
    leaving += (leaving.empty() ? "" : ", ") + id;
  spdlog::info("cluster: live nodes {}{}{}", names,
               leaving.empty() ? "" : "; leaving: ", leaving);
  self->send(st.directory, nodes_atom_v, std::move(view));
}

/// The same incarnation of a node (whether it leaves aside).
bool same_node(const node_record& known, node_record listed) {
  listed.leaving = known.leaving;
  return known == listed;
}

void drop_peer(cluster_pointer self, const std::string& id, const char* why) {
  auto& st = self->state;
  auto i = st.peers.find(id);
  if (i == st.peers.end())
    return;
  if (i->second.entry) {
    self->demonitor(i->second.entry.address());
    spdlog::warn("cluster: node {} {}", id, why);
  }
  st.peers.erase(i);
}

void connect(cluster_pointer self, const node_record& rec) {
  auto& st = self->state;
  st.peers[rec.id] = cluster_peer{rec, {}, std::nullopt};
  auto mm = st.cfg.connector ? st.cfg.connector
                             : self->system().middleman().actor_handle();
  auto id = rec.id;
  auto started = rec.started_ms;
  self
    ->request(mm, st.cfg.connect_timeout, caf::connect_atom_v, rec.host,
              rec.cluster_port)
    .then(
      [self, id, started](const caf::node_id&, caf::strong_actor_ptr& ptr,
                          const std::set<std::string>& ifs) {
        auto& st = self->state;
        auto i = st.peers.find(id);
        if (i == st.peers.end() || i->second.record.started_ms != started)
          return; // dropped or restarted meanwhile
        auto expected = self->system().message_types<directory_actor>();
        if (!ptr || ifs != expected) {
          spdlog::error("cluster: node {} runs a different h2h (its cluster "
                        "interface differs): not joining it",
                        id);
          st.dead[id] = started;
          st.peers.erase(i);
          return;
        }
        i->second.entry = caf::actor_cast<directory_actor>(ptr);
        self->monitor(i->second.entry);
        auto failed = st.failing.find(id);
        spdlog::info("cluster: connected to node {} at {}:{}{}", id,
                     i->second.record.host, i->second.record.cluster_port,
                     failed == st.failing.end()
                       ? std::string{}
                       : " after " + std::to_string(failed->second.count)
                           + " failed tries");
        if (failed != st.failing.end())
          st.failing.erase(failed);
        publish_view(self);
      },
      [self, id, started](caf::error& err) {
        auto& st = self->state;
        auto i = st.peers.find(id);
        if (i == st.peers.end() || i->second.record.started_ms != started)
          return;
        // A peer that stays unreachable (down, another cluster CA, plain
        // against TLS) is tried at every scan; the log says so once, then
        // once a minute, not once a heartbeat.
        auto now = self->clock().now();
        auto& f = st.failing[id];
        if (++f.count == 1 || now - f.logged >= std::chrono::minutes{1}) {
          f.logged = now;
          spdlog::warn("cluster: cannot connect to node {} at {}:{}: {}{}", id,
                       i->second.record.host, i->second.record.cluster_port,
                       self->system().render(err),
                       f.count == 1
                         ? std::string{" (trying again every scan)"}
                         : " (" + std::to_string(f.count) + " tries so far)");
        }
        st.peers.erase(i); // the next scan tries again
      });
}

/// Whether to dial peer `id` now. Two nodes that dial each other at the
/// same moment can each close the other's connection as redundant (CAF
/// keeps one connection per pair of nodes, and each side keeps the one it
/// accepted): both go down, and both dial again at the next scan, at the
/// same moment again when the registry's notice woke both (the down handler
/// below). TLS's longer handshake widens that window. So the node with the
/// larger id dials `dial_delay` after it first wanted to; by then the
/// other's connection usually stands, and its own dial only finds it (CAF
/// answers with the proxy over the existing connection). (The flapping of
/// TLS nodes every 2 s had another cause: apps/h2hd/openssl_error_queue.cpp.)
bool dial_now(cluster_pointer self, const std::string& id) {
  auto& st = self->state;
  if (id > st.cfg.self.id || st.cfg.dial_delay.count() <= 0)
    return true;
  auto now = self->clock().now();
  auto [w, fresh] = st.dial_after.try_emplace(id, now + st.cfg.dial_delay);
  if (fresh) {
    self->delayed_send(self, st.cfg.dial_delay, changed_atom_v); // rescan
    return false;
  }
  if (now < w->second)
    return false;
  st.dial_after.erase(w);
  return true;
}

/// The registry's list: connect to new nodes, drop those that left (their
/// TTL ran out, or they withdrew), reconnect to restarted ones.
void on_records(cluster_pointer self, std::vector<node_record>& records) {
  auto& st = self->state;
  std::set<std::string> listed;
  for (auto& r : records) {
    if (r.id == st.cfg.self.id || listed.size() >= st.cfg.max_nodes)
      continue;
    listed.insert(r.id);
    if (auto d = st.dead.find(r.id); d != st.dead.end()) {
      if (d->second >= r.started_ms)
        continue; // the incarnation whose connection died
      st.dead.erase(d);
    }
    if (auto w = st.retry_after.find(r.id); w != st.retry_after.end()) {
      if (self->clock().now() < w->second)
        continue; // its connection just went down
      st.retry_after.erase(w);
    }
    auto p = st.peers.find(r.id);
    if (p != st.peers.end() && !same_node(p->second.record, r)) {
      drop_peer(self, r.id, "restarted or moved: connecting again");
      p = st.peers.end();
    }
    if (p != st.peers.end()) {
      if (r.leaving && !p->second.record.leaving)
        spdlog::info("cluster: node {} leaves (drains): its rooms move", r.id);
      p->second.record.leaving = r.leaving;
    } else if (!r.leaving && dial_now(self, r.id)) {
      connect(self, r); // a node that already leaves is not joined
    }
  }
  // A connected peer the registry does not list leaves only once it stays
  // unlisted for a whole TTL: after Redis restarts empty, every node
  // announces itself again within a heartbeat, and dropping them meanwhile
  // would move rooms back and forth. A dead or hung peer's connection says
  // so sooner (down message, connection timeout).
  auto now = self->clock().now();
  std::vector<std::string> gone;
  for (auto& [id, p] : st.peers) {
    if (listed.count(id) != 0) {
      p.missing_since.reset();
      continue;
    }
    if (!p.entry) {
      gone.push_back(id); // still connecting: nothing to keep
      continue;
    }
    if (!p.missing_since)
      p.missing_since = now;
    else if (now - *p.missing_since >= st.cfg.node_ttl)
      gone.push_back(id);
  }
  for (auto& id : gone)
    drop_peer(self, id, "left the registry (stopped, or its TTL ran out)");
  for (auto d = st.dead.begin(); d != st.dead.end();)
    d = listed.count(d->first) ? std::next(d) : st.dead.erase(d);
  for (auto w = st.retry_after.begin(); w != st.retry_after.end();)
    w = listed.count(w->first) ? std::next(w) : st.retry_after.erase(w);
  for (auto w = st.dial_after.begin(); w != st.dial_after.end();)
    w = listed.count(w->first) ? std::next(w) : st.dial_after.erase(w);
  for (auto w = st.failing.begin(); w != st.failing.end();)
    w = listed.count(w->first) ? std::next(w) : st.failing.erase(w);
  publish_view(self);
}

void scan(cluster_pointer self) {
  auto& st = self->state;
  if (st.scanning)
    return;
  st.scanning = true;
  self->request(st.registry, st.cfg.connect_timeout, scan_atom_v)
    .then(
      [self](std::vector<node_record>& records) {
        auto& st = self->state;
        st.scanning = false;
        if (!st.registry_ok)
          spdlog::info("cluster: registry reachable again; node {} "
                       "registered",
                       st.cfg.self.id);
        if (!st.registry_ok) // unlisted while Redis was away: start afresh
          for (auto& [id, p] : st.peers)
            p.missing_since.reset();
        st.registry_ok = true;
        st.board->registry_ok.store(true, std::memory_order_relaxed);
        on_records(self, records);
      },
      [self](caf::error& err) {
        auto& st = self->state;
        st.scanning = false;
        if (st.registry_ok)
          spdlog::warn("cluster: registry unreachable ({}): serving with the "
                       "last known node set ({} node(s))",
                       self->system().render(err), st.sent_ids.size());
        st.registry_ok = false;
        st.board->registry_ok.store(false, std::memory_order_relaxed);
      });
}

} // namespace

cluster_actor::behavior_type cluster(cluster_pointer self, cluster_settings cfg,
                                     registry_factory make,
                                     directory_actor directory,
                                     std::shared_ptr<cluster_board> board) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.board = std::move(board);
  st.directory = std::move(directory);
  st.registry = self->spawn<caf::detached>(registry_worker, make.registry,
                                           st.cfg.self, st.cfg.node_ttl);
  st.watcher = self->spawn<caf::detached>(registry_watcher, make.watch,
                                          caf::actor_cast<cluster_actor>(self),
                                          st.cfg.heartbeat);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& st = self->state;
    for (auto& [id, p] : st.peers)
      if (p.entry && p.entry.address() == dm.source) {
        // Out of the view at once (a killed node's rooms move now). The
        // scans connect again after a heartbeat: when two nodes connect to
        // each other at the same moment CAF keeps one connection and the
        // proxy of the other goes down, though the node lives; a dead node
        // refuses. (Connecting at once made the views flap.)
        auto record = p.record; // drop_peer erases `p`
        st.retry_after[record.id] = self->clock().now() + st.cfg.heartbeat;
        drop_peer(self, record.id, "is unreachable (connection lost)");
        publish_view(self);
        return;
      }
  });
  self->set_error_handler(
    [](caf::error& err) { spdlog::warn("cluster: {}", caf::to_string(err)); });
  // A graceful stop withdraws the node first: the others see it at once.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    auto& st = self->state;
    self->send(st.registry, withdraw_atom_v);
    self->send_exit(st.registry, msg.reason);
    self->send_exit(st.watcher, msg.reason);
    for (auto& [id, p] : st.peers)
      if (p.entry)
        self->demonitor(p.entry.address());
    st.peers.clear();
    st.directory = nullptr;
    self->quit(msg.reason);
  });
  self->send(self, beat_atom_v);
  return {
    [self](beat_atom) {
      scan(self);
      self->delayed_send(self, self->state.cfg.heartbeat, beat_atom_v);
    },
    [self](changed_atom) { scan(self); },
    [self](caf::leave_atom) {
      auto& st = self->state;
      if (st.leaving)
        return;
      st.leaving = true;
      spdlog::info("cluster: node {} leaves (drains): its rooms move to the "
                   "other nodes",
                   st.cfg.self.id);
      self->send(st.registry, caf::leave_atom_v);
      publish_view(self);
    },
  };
}

} // namespace h2h
