// The room directory: the only owner of the map room id -> room actor, and
// in a cluster the router to each room's owner node.
#include "actors/chat/room_directory.hpp"

#include "actors/chat/directory_admin.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/cluster/rendezvous.hpp"

namespace h2h {

namespace {

/// Where a room lives: here (no owner handle) or on the node `id`.
struct owner_ref {
  std::string id;
  directory_actor entry;
};

/// The room's owner node when it is another node; nullopt when it is this
/// node, or on a single node.
std::optional<owner_ref> remote_owner(const directory_state& st,
                                      const std::string& room_id) {
  const auto& v = st.view;
  if (v.self.empty() || st.owners.empty())
    return std::nullopt;
  auto* owner = rendezvous_owner(room_id, st.owners);
  if (!owner || *owner == v.self)
    return std::nullopt;
  auto i = std::lower_bound(v.ids.begin(), v.ids.end(), *owner);
  auto k = static_cast<std::size_t>(i - v.ids.begin());
  if (i == v.ids.end() || *i != *owner || k >= v.entries.size()
      || !v.entries[k])
    return std::nullopt; // not connected (yet): serve here rather than fail
  return owner_ref{*owner, v.entries[k]};
}

/// This node left the owners a moment ago: a peer's request waits (is
/// refused, and retried) until the peer's view says so too.
bool refusing_peers(directory_pointer self) {
  auto& st = self->state;
  return st.withdrawn
         && self->clock().now() - st.withdrawn_at
              < directory_state::refuse_peers_for;
}

/// The request comes from another node's actor (a relay, another
/// directory): it is served here whatever this node thinks, so that two
/// nodes with different views never pass a request back and forth.
bool from_peer(directory_pointer self) {
  auto& sender = self->current_sender();
  return sender && sender->node() != self->node();
}

/// A change for every room (a deleted member): every room and relay here
/// hears it and, when it came from this node, every other node's directory.
void tell_every_room(directory_pointer self, const room_change& change) {
  auto& st = self->state;
  if (!from_peer(self))
    for (std::size_t k = 0; k < st.view.entries.size(); ++k)
      if (k < st.view.ids.size() && st.view.ids[k] != st.view.self
          && st.view.entries[k])
        self->send(st.view.entries[k], change_atom_v, change);
  for (auto& [id, entry] : st.rooms)
    self->send(entry.room, change_atom_v, change);
}

using room_iter = std::unordered_map<std::string, directory_entry>::iterator;

/// Tells a room or relay that is of the wrong kind now to move, and forgets
/// it (it ends on its own).
room_iter retire(directory_pointer self, room_iter i) {
  self->send(i->second.room, moved_atom_v);
  self->demonitor(i->second.room.address());
  return self->state.rooms.erase(i);
}

room_iter start_room(directory_pointer self, const std::string& room_id,
                     room_creator creator) {
  auto& st = self->state;
  auto r
    = self->spawn(room, room_id, st.env, caf::actor_cast<directory_actor>(self),
                  std::move(creator));
  self->monitor(r);
  spdlog::debug("room {} started", room_id);
  return st.rooms.emplace(room_id, directory_entry{r, 0, {}}).first;
}

room_iter start_relay(directory_pointer self, const std::string& room_id,
                      const owner_ref& owner, room_creator creator) {
  auto& st = self->state;
  auto r = self->spawn(relay, room_id, st.env,
                       caf::actor_cast<directory_actor>(self), owner.entry,
                       std::move(creator));
  self->monitor(r);
  spdlog::debug("relay of room {} (owner {}) started", room_id, owner.id);
  return st.rooms.emplace(room_id, directory_entry{r, 0, owner.id}).first;
}

/// The actor that serves `room_id` here: its room when this node owns it
/// (or a peer asks), else its relay. Nullopt: a peer asks for a room this
/// node relays (the views differ for a moment; the peer retries).
std::optional<room_iter> route(directory_pointer self,
                               const std::string& room_id,
                               const room_creator& creator, bool peer) {
  auto& st = self->state;
  if (peer && refusing_peers(self))
    return std::nullopt; // the peer asks the new owner once it knows
  auto owner = peer ? std::nullopt : remote_owner(st, room_id);
  auto i = st.rooms.find(room_id);
  if (owner) {
    if (i != st.rooms.end() && i->second.owner_node != owner->id)
      i = retire(self, i);
    if (i == st.rooms.end())
      i = start_relay(self, room_id, *owner, creator);
    return i;
  }
  if (i != st.rooms.end() && !i->second.owner_node.empty()) {
    if (peer)
      return std::nullopt;
    i = retire(self, i);
  }
  if (i == st.rooms.end())
    i = start_room(self, room_id, creator);
  return i;
}

caf::error moving(const std::string& room_id) {
  return caf::make_error(errc::unavailable,
                         "room " + room_id + " is moving, retry");
}

/// A new node set: every room and relay whose owner changed moves.
void apply_view(directory_pointer self, cluster_view& view) {
  auto& st = self->state;
  st.view = std::move(view);
  st.owners = room_owners(st.view);
  bool was_withdrawn = st.withdrawn;
  st.withdrawn
    = !st.view.self.empty()
      && std::find(st.owners.begin(), st.owners.end(), st.view.self)
           == st.owners.end()
      && std::find(st.view.ids.begin(), st.view.ids.end(), st.view.self)
           != st.view.ids.end();
  if (st.withdrawn && !was_withdrawn)
    st.withdrawn_at = self->clock().now();
  if (st.admin)
    self->send(st.admin, nodes_atom_v, st.view);
  std::size_t moved = 0;
  for (auto i = st.rooms.begin(); i != st.rooms.end();) {
    auto owner = remote_owner(st, i->first);
    bool right = owner ? i->second.owner_node == owner->id
                       : i->second.owner_node.empty();
    if (right) {
      ++i;
      continue;
    }
    i = retire(self, i);
    ++moved;
  }
  spdlog::info("cluster: {} node(s) live, {} leaving; {} room(s) move{}",
               st.view.ids.size(), st.view.leaving.size(), moved,
               st.withdrawn ? " (this node leaves: it owns no room now)" : "");
}

} // namespace

namespace directory_detail {

bool owned_elsewhere(const directory_state& st, const std::string& room_id) {
  return remote_owner(st, room_id).has_value();
}

directory_entry& serve_here(directory_pointer self, const std::string& room_id,
                            room_creator creator) {
  auto& rooms = self->state.rooms;
  auto i = rooms.find(room_id);
  if (i != rooms.end() && !i->second.owner_node.empty())
    i = retire(self, i);
  if (i == rooms.end())
    i = start_room(self, room_id, std::move(creator));
  return i->second;
}

} // namespace directory_detail

directory_actor::behavior_type room_directory(directory_pointer self,
                                              room_env_ptr env) {
  self->state.env = std::move(env);
  self->state.creators = creation_limiter{
    self->state.env->rooms_created_per_hour, self->state.env->creators_tracked};
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& rooms = self->state.rooms;
    for (auto i = rooms.begin(); i != rooms.end(); ++i) {
      if (i->second.room.address() == dm.source) {
        if (dm.reason && dm.reason != caf::exit_reason::user_shutdown)
          spdlog::error("room {} died: {}", i->first,
                        self->system().render(dm.reason));
        rooms.erase(i);
        return;
      }
    }
  });
  self->set_error_handler([](caf::error& err) {
    spdlog::warn("room directory: {}", caf::to_string(err));
  });
  // Shutting down the directory shuts down every room it owns.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    for (auto& [id, entry] : self->state.rooms)
      self->send_exit(entry.room, msg.reason);
    self->state.rooms.clear();
    self->state.view = cluster_view{}; // drops the peers' handles
    self->state.admin = nullptr;
    self->quit(msg.reason);
  });
  return {
    [self](enter_atom, const std::string& room_id,
           enter_request& req) -> caf::result<enter_reply> {
      bool peer = from_peer(self) || req.role != enter_role::session;
      auto i
        = route(self, room_id, room_creator{req.sender_id, req.sender}, peer);
      if (!i)
        return moving(room_id);
      ++(*i)->second.enters_forwarded;
      return self->delegate((*i)->second.room, enter_atom_v, std::move(req));
    },
    [self](post_atom, const std::string& room_id,
           publish_request& req) -> caf::result<publish_ack> {
      // Counted like an ENTER: the room may not stop while it is on its way.
      bool peer = from_peer(self);
      if (peer && refusing_peers(self))
        return moving(room_id);
      if (!peer)
        if (auto owner = remote_owner(self->state, room_id))
          return self->delegate(owner->entry, post_atom_v, room_id,
                                std::move(req));
      auto& rooms = self->state.rooms;
      auto i = rooms.find(room_id);
      if (i != rooms.end() && !i->second.owner_node.empty()) {
        if (peer)
          return moving(room_id);
        i = retire(self, i);
      }
      if (i == rooms.end())
        i = start_room(self, room_id,
                       room_creator{req.sender_id, req.sender, false});
      ++i->second.enters_forwarded;
      return self->delegate(i->second.room, post_atom_v, std::move(req));
    },
    [self](idle_atom, const std::string& room_id, std::uint64_t seen) {
      auto& st = self->state;
      auto i = st.rooms.find(room_id);
      if (i == st.rooms.end()
          || i->second.room.address() != self->current_sender())
        return true; // not ours (any more): let it go
      if (i->second.enters_forwarded != seen)
        return false; // an ENTER is on its way to this room
      self->demonitor(i->second.room.address());
      st.rooms.erase(i);
      return true;
    },
    [self](change_atom, room_change& change) {
      if (change.room_id.empty()) {
        tell_every_room(self, change);
        return;
      }
      if (!from_peer(self))
        if (auto owner = remote_owner(self->state, change.room_id)) {
          // The owner tells its relays (and so their sessions).
          self->send(owner->entry, change_atom_v, change);
          return;
        }
      auto& rooms = self->state.rooms;
      auto i = rooms.find(change.room_id);
      if (i == rooms.end() || !i->second.owner_node.empty())
        return; // not running here: it reads the store when it starts
      self->send(i->second.room, change_atom_v, change);
      if (change.kind == room_change_kind::deleted) {
        self->demonitor(i->second.room.address());
        rooms.erase(i);
      }
    },
    [self](create_atom, const std::string& room_id, std::int64_t member,
           const std::string& sender) -> caf::result<bool> {
      // Asked by a room that found itself missing from the store.
      auto& st = self->state;
      if (!st.env->create_on_enter)
        return caf::make_error(errc::no_such_room, "no such room " + room_id);
      if (!st.creators.take(room_creator{member, sender}.key(),
                            self->clock().now()))
        return caf::make_error(errc::rate_limited,
                               "creating rooms too fast, retry later");
      return true;
    },
    [self](presence_atom, const std::string& room_id)
      -> caf::result<std::vector<std::int64_t>> {
      if (!from_peer(self))
        if (auto owner = remote_owner(self->state, room_id))
          return self->delegate(owner->entry, presence_atom_v, room_id);
      auto& rooms = self->state.rooms;
      auto i = rooms.find(room_id);
      if (i == rooms.end() || !i->second.owner_node.empty())
        return std::vector<std::int64_t>{}; // not running: nobody online
      return self->delegate(i->second.room, presence_atom_v);
    },
    [self](nodes_atom, cluster_view& view) { apply_view(self, view); },
    [self](admin_atom, const admin_request& req) {
      return directory_detail::admin_part(self, req);
    },
    [self](local_atom, const admin_request& req) -> caf::result<admin_reply> {
      // A peer's admin actor: this node's admin actor answers this node's
      // part (sessions are its business).
      auto& admin = self->state.admin;
      if (!admin) {
        admin_reply r;
        r.error = "ADMIN_UNAVAILABLE";
        r.message = "no admin actor on this node";
        return r;
      }
      return self->delegate(admin, local_atom_v, req);
    },
    [self](admin_atom, admin_actor& admin) {
      self->state.admin = std::move(admin);
      self->send(self->state.admin, nodes_atom_v, self->state.view);
    },
    [self](info_atom) {
      std::vector<std::string> ids;
      ids.reserve(self->state.rooms.size());
      for (auto& [id, entry] : self->state.rooms)
        ids.push_back(id);
      return ids;
    },
  };
}

} // namespace h2h
