// The room actor: one per active room; assigns seqs, dedupes, has every
// event committed before anyone sees it, replays, and fans out.
#include "actors/chat/room_actor.hpp"

#include <optional>

#include <spdlog/spdlog.h>

#include "actors/chat/fan_out.hpp"
#include "actors/chat/room_admin.hpp"
#include "actors/chat/room_admission.hpp"
#include "actors/chat/room_cluster.hpp"
#include "actors/chat/room_fence.hpp"
#include "actors/chat/room_replay.hpp"

namespace h2h {

// -- room behaviour
// -------------------------------------------------------------

namespace {

using ack_promise = caf::typed_response_promise<publish_ack>;
using namespace room_internal;

/// Builds the next event of the room (seq and time assigned here, once).
room_event next_event(room_state& st, event_kind kind, std::string sender,
                      std::int64_t sender_id, std::string text,
                      std::string client_msg_id) {
  room_event ev;
  ev.room_id = st.id;
  ev.seq = ++st.last_seq;
  ev.kind = kind;
  ev.sender = std::move(sender);
  ev.sender_id = sender_id;
  ev.text = std::move(text);
  ev.ts_ms = st.env->now_ms ? st.env->now_ms() : 0;
  ev.client_msg_id = std::move(client_msg_id);
  return ev;
}

void arm_idle_timer(room_pointer self) {
  auto& st = self->state;
  auto gen = ++st.idle_generation;
  self->delayed_send(self, st.env->idle_timeout, idle_chk_atom_v, gen);
}

void maybe_idle(room_pointer self) {
  auto& st = self->state;
  if (st.moving) {
    if (st.pending.empty())
      room_cluster::finish_move(self);
    return;
  }
  if (st.members.empty() && st.pending.empty())
    arm_idle_timer(self);
}

/// A ring entry as history shows it once its sender deleted their account
/// (a notice's text names the new sender).
void make_anonymous(ring_event& ev) {
  ev.sender = deleted_member_name;
  ev.sender_id = 0;
  ev.client_msg_id.clear();
  if (ev.kind != event_kind::message) {
    ev.usual_notice = true;
    ev.text.clear();
  }
}

void remember_committed(room_state& st, const event_ptr& ev) {
  if (st.env->replay_ring > 0) {
    st.ring.push_back(to_ring(ev->data()));
    if (st.ring.back().sender_id != 0
        && st.forgotten.count(st.ring.back().sender_id) > 0)
      make_anonymous(st.ring.back()); // committed after the deletion
    if (st.ring.size() > st.env->replay_ring)
      st.ring.pop_front();
  }
}

/// On the owner, hands a committed MESSAGE to the push dispatcher with the
/// members present: the shared event (no copy) and presence's ids. The
/// dispatcher finds who is absent, off this thread.
void hand_to_push(room_pointer self, const event_ptr& ev) {
  auto& st = self->state;
  if (!st.env->push || st.is_relay || ev->data().kind != event_kind::message)
    return;
  self->send(st.env->push, push_atom_v,
             push_commit{ev, room_cluster::presence(st)});
}

/// The event is the member's own: same member id, or for anonymous
/// members (id 0) the same name.
bool is_own(const room_member& m, const room_event& ev) {
  return m.sender_id == ev.sender_id
         && (ev.sender_id != 0 || m.sender == ev.sender);
}

/// Sends a committed event to every member: one shared event, encoded once
/// per wire protocol by the links (the ring keeps a plain copy); members whose
/// replay is still being read get it afterwards. A member never gets a seq
/// at or below one it had (a few integers per member, no allocation per
/// delivery). Sessions of other nodes get it through their node's relay,
/// which is a member too (one message per node).
void fan_out(room_pointer self, event_ptr ev) {
  auto& st = self->state;
  remember_committed(st, ev);
  room_admin::note_event(st, ev->data());
  event_batch batch;
  batch.events.push_back(std::move(ev));
  const auto& shared = batch.events.front();
  const auto& sent = shared->data();
  std::optional<caf::message> msg; // built once, for members without sinks
  // Another member's ENTER or EXIT notice may wait for the receiver's next
  // write; a member's own goes at once (in raw JSON it is the only answer
  // to its ENTER).
  const bool presence = sent.kind != event_kind::message;
  std::size_t receivers = 0;
  for (auto& [addr, m] : st.members) {
    if (sent.seq <= m.delivered || m.role == enter_role::relayed)
      continue;
    if (m.replay != 0) {
      room_detail::hold(st, m, shared);
      continue;
    }
    m.delivered = sent.seq; // a hidden event is no gap either
    if (m.blocked && hides(*m.blocked, sent))
      continue;
    if (m.sink) {
      if (presence && !is_own(m, sent))
        m.sink->deliver_presence(batch);
      else
        m.sink->deliver(batch);
      ++receivers;
    } else {
      if (!msg)
        msg = caf::make_message(batch);
      send_shared(self, m.handle, *msg);
      ++receivers;
    }
  }
  auto& metrics = *st.env->metrics;
  metrics.events.fetch_add(1, std::memory_order_relaxed);
  metrics.deliveries.fetch_add(receivers, std::memory_order_relaxed);
  hand_to_push(self, shared);
}

/// Removes the uncommitted event `seq`: the oldest one, as the store answers
/// in order, unless the persistence actor refused it at once (`refused`).
uncommitted take_pending(room_state& st, std::uint64_t seq,
                         bool refused = false) {
  auto i = st.pending.begin();
  if (i == st.pending.end() || i->event.seq != seq) {
    if (!refused)
      spdlog::error("room {}: commit of seq {} arrived out of order", st.id,
                    seq);
    while (i != st.pending.end() && i->event.seq != seq)
      ++i;
    if (i == st.pending.end())
      return {};
  }
  auto u = std::move(*i);
  st.pending.erase(i);
  if (!u.event.client_msg_id.empty())
    st.pending_ids.erase(dedupe_window::key(u.event.sender_id, u.event.sender,
                                            u.event.client_msg_id));
  return u;
}

void on_committed(room_pointer self, std::uint64_t seq, publish_ack ack) {
  auto& st = self->state;
  auto u = take_pending(st, seq);
  st.store_full = false;
  if (!u.event.client_msg_id.empty())
    st.recent.remember(u.event.sender_id, u.event.sender, u.event.client_msg_id,
                       ack);
  if (ack.status != append_status::duplicate) {
    if (st.reloading) {
      // Another writer may hold lower seqs: out in order after the catch-up.
      st.held_commits.push_back(make_event(std::move(u.event)));
    } else {
      st.committed_seq = seq;
      fan_out(self, make_event(std::move(u.event)));
    }
  } else {
    // Stored long ago (older than the window): nothing new to broadcast.
    st.env->metrics->duplicates.fetch_add(1, std::memory_order_relaxed);
  }
  for (std::size_t i = 0; i < u.waiters.size(); ++i) {
    auto a = ack;
    if (i > 0)
      a.status = append_status::duplicate;
    u.waiters[i].deliver(a);
  }
  appended(self);
  maybe_idle(self);
}

/// The persistence actor's queue is full: it refused the event at once.
bool refused_full(const caf::error& err) {
  return is_h2h_error(err) && to_errc(err) == errc::unavailable;
}

void on_commit_failed(room_pointer self, std::uint64_t seq,
                      const caf::error& err) {
  auto& st = self->state;
  auto full = refused_full(err);
  if (full)
    spdlog::debug("room {}: seq {} refused: store queue full", st.id, seq);
  else
    spdlog::error("room {}: seq {} not committed: {}", st.id, seq,
                  self->system().render(err));
  auto u = take_pending(st, seq, full);
  if (full) {
    // Never stored and seen by no one: the seq is handed out again when
    // it was the last one (a later one leaves a gap, as DESIGN.md allows).
    if (seq == st.last_seq && !st.reloading)
      --st.last_seq;
    st.store_full = !st.pending.empty();
    if (u.event.kind == event_kind::message) { // not accepted after all
      st.env->metrics->messages_in.fetch_sub(1, std::memory_order_relaxed);
      st.env->metrics->refused_full.fetch_add(1, std::memory_order_relaxed);
    }
  }
  auto conflict = to_errc(err) == errc::seq_conflict;
  if (conflict) // another writer: where does the room stand?
    reload_seq(self);
  // The event lost its seq, not its place: it gets a new seq after the
  // catch-up, unless the room moves; then it was stored by no one, and the
  // session sends it again where the room lives now.
  if (!conflict || u.event.seq != seq || !retry_conflicted(self, u)) {
    auto why = conflict && st.moving ? moving_error(st) : err;
    for (auto& w : u.waiters)
      w.deliver(why);
  }
  appended(self);
  if (to_errc(err) == errc::no_such_room) { // deleted (refused for good)
    end_deleted(self);
    return;
  }
  maybe_idle(self);
}

/// Hands a new event to the store; it goes out once committed. While the
/// room reloads its last seq, the event waits (its seq is then replaced).
void submit(room_pointer self, room_event ev, ack_promise* promise) {
  auto& st = self->state;
  if (st.seq_stale)
    reload_seq(self);
  if (st.reloading && st.unsent >= unsent_max) {
    spdlog::warn("room {}: {} events wait for a seq reload; refused one", st.id,
                 st.unsent);
    if (promise)
      promise->deliver(
        caf::make_error(errc::unavailable, "room unavailable, retry"));
    return;
  }
  auto seq = ev.seq;
  if (!ev.client_msg_id.empty())
    st.pending_ids.emplace(
      dedupe_window::key(ev.sender_id, ev.sender, ev.client_msg_id), seq);
  uncommitted u;
  u.event = ev;
  if (promise)
    u.waiters.push_back(*promise);
  st.pending.push_back(std::move(u));
  if (st.reloading)
    ++st.unsent;
  else
    send_append(self, std::move(ev));
}

/// A message for the room: answered at once when its clientMsgId is known,
/// else once committed.
caf::result<publish_ack> on_publish(room_pointer self, publish_request& req) {
  auto& st = self->state;
  auto& metrics = *st.env->metrics;
  if (req.sender_id != 0 && st.forgotten.count(req.sender_id) > 0)
    return caf::make_error(errc::forbidden, "the account was deleted");
  if (!req.client_msg_id.empty()) {
    if (auto* ack
        = st.recent.find(req.sender_id, req.sender, req.client_msg_id)) {
      metrics.duplicates.fetch_add(1, std::memory_order_relaxed);
      return *ack;
    }
    auto key = dedupe_window::key(req.sender_id, req.sender, req.client_msg_id);
    if (auto i = st.pending_ids.find(key); i != st.pending_ids.end()) {
      // A retry while the original is being committed: same answer.
      for (auto& u : st.pending)
        if (u.event.seq == i->second) {
          auto promise = self->make_response_promise<publish_ack>();
          u.waiters.push_back(promise);
          return promise;
        }
    }
  }
  metrics.messages_in.fetch_add(1, std::memory_order_relaxed);
  auto promise = self->make_response_promise<publish_ack>();
  submit(self,
         next_event(st, event_kind::message, std::move(req.sender),
                    req.sender_id, std::move(req.text),
                    std::move(req.client_msg_id)),
         &promise);
  return promise;
}

void remove_member(room_pointer self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto i = st.members.find(who);
  if (i == st.members.end())
    return;
  if (i->second.replay != 0) {
    // Not in the room yet (its replay is read): it leaves without a notice.
    room_detail::drop_entering(
      self, who, caf::make_error(errc::unavailable, "left while entering"));
    return;
  }
  auto sender = std::move(i->second.sender);
  auto sender_id = i->second.sender_id;
  auto role = i->second.role;
  // A deleted account's sessions leave unannounced: a notice would bring
  // its name back into history.
  auto quiet_leave = role == enter_role::relay || st.is_relay
                     || (sender_id != 0 && st.forgotten.count(sender_id) > 0);
  auto handle = i->second.handle;
  self->demonitor(who);
  st.members.erase(i);
  if (st.is_relay && st.upstream) // the owner says goodbye for the member
    self->send(st.upstream, exit_atom_v, handle);
  if (quiet_leave || st.store_full) {
    // The member leaves anyway; only its notice is skipped (no seq used).
    maybe_idle(self);
    return;
  }
  submit(self,
         next_event(st, event_kind::exit, sender, sender_id,
                    notice_text(event_kind::exit, sender), {}),
         nullptr);
}

/// Drops every session of `member` (or all, for 0) from the room, telling
/// each why; how many.
std::size_t drop_sessions(room_pointer self, std::int64_t member,
                          const caf::error& why) {
  auto& st = self->state;
  std::vector<caf::actor_addr> gone;
  std::vector<caf::actor_addr> entering; // refused instead
  for (auto& [addr, m] : st.members)
    if (m.role != enter_role::relay && (member == 0 || m.sender_id == member)) {
      if (m.replay != 0) {
        entering.push_back(addr);
        continue;
      }
      if (m.role == enter_role::relayed) // its relay stops delivering too
        self->send(m.via, removed_atom_v, m.handle, why);
      else
        self->send(m.handle, removed_atom_v, st.id, why);
      gone.push_back(addr);
    }
  for (auto& addr : entering)
    room_detail::drop_entering(self, addr, why);
  for (auto& addr : gone)
    remove_member(self, addr);
  return gone.size() + entering.size();
}

void apply_change(room_pointer self, const room_change& change) {
  auto& st = self->state;
  if (st.env->push && !st.is_relay && change.kind != room_change_kind::deleted)
    self->send(st.env->push, pforget_atom_v, st.id); // its roster changed
  switch (change.kind) {
    case room_change_kind::member_added:
      st.allowed.insert(change.member_id);
      st.recorded.insert(change.member_id);
      break;
    case room_change_kind::member_removed:
      st.allowed.erase(change.member_id);
      st.recorded.erase(change.member_id);
      drop_sessions(self, change.member_id, caf::make_error(errc::not_member));
      break;
    case room_change_kind::member_deleted:
      break; // forget_member(), on relays too
    case room_change_kind::deleted:
      room_detail::drop_all_entering(
        self,
        caf::make_error(errc::no_such_room, "room " + st.id + " was deleted"));
      for (auto& [addr, m] : st.members) {
        // A relay tells its sessions; a session of another node hears it
        // from its relay.
        if (m.role != enter_role::relayed)
          self->send(m.handle, removed_atom_v, st.id,
                     caf::make_error(errc::no_such_room));
        self->demonitor(addr);
      }
      st.members.clear();
      refuse_pending(self, caf::make_error(errc::no_such_room,
                                           "room " + st.id + " was deleted"));
      spdlog::info("room {} deleted", st.id);
      self->quit();
      break;
  }
}

/// A member deleted their account: the ring replays its events as the
/// store has them now, and the member is no longer allowed or recorded.
void forget_member(room_pointer self, std::int64_t member) {
  auto& st = self->state;
  for (auto& ev : st.ring)
    if (ev.sender_id == member)
      make_anonymous(ev);
  st.allowed.erase(member);
  st.recorded.erase(member);
  if (st.forgotten.size() >= room_state::forgotten_max)
    st.forgotten.clear();
  st.forgotten.insert(member);
}

void apply_snapshot(room_pointer self, room_snapshot& snap) {
  auto& st = self->state;
  st.last_seq = st.committed_seq = snap.last_seq;
  st.is_private = snap.is_private;
  st.allowed.insert(snap.members.begin(), snap.members.end());
  auto ring_from = snap.recent.size() > st.env->replay_ring
                     ? snap.recent.size() - st.env->replay_ring
                     : 0;
  for (std::size_t i = 0; i < snap.recent.size(); ++i) {
    auto& ev = snap.recent[i];
    if (!ev.client_msg_id.empty())
      st.recent.remember(
        ev.sender_id, ev.sender, ev.client_msg_id,
        publish_ack{ev.seq, ev.ts_ms, append_status::duplicate});
    if (i >= ring_from)
      st.ring.push_back(to_ring(std::move(ev)));
  }
}

} // namespace

namespace room_detail {

void announce(room_pointer self, event_kind kind, const std::string& sender,
              std::int64_t sender_id) {
  auto& st = self->state;
  if (sender_id != 0 && st.forgotten.count(sender_id) > 0)
    return; // a deleted account's name stays out of history
  submit(self,
         next_event(st, kind, sender, sender_id, notice_text(kind, sender), {}),
         nullptr);
}

void settle(room_pointer self) {
  maybe_idle(self);
}

} // namespace room_detail

namespace {

/// What a room and a relay share before their first message.
void init(room_pointer self, std::string id, room_env_ptr env,
          directory_actor directory) {
  auto& st = self->state;
  st.id = std::move(id);
  st.env = std::move(env);
  st.directory = std::move(directory);
  st.recent = dedupe_window{st.env->dedupe_window};
  st.env->metrics->rooms_active.fetch_add(1, std::memory_order_relaxed);
  st.env->metrics->rooms_started.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor([metrics = st.env->metrics] {
    metrics->rooms_active.fetch_sub(1, std::memory_order_relaxed);
  });
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& st = self->state;
    if (st.is_relay && dm.source == st.upstream.address()) {
      room_cluster::owner_lost(self);
      return;
    }
    remove_member(self, dm.source);
  });
  self->set_error_handler([self](caf::error& err) {
    spdlog::warn("room {}: {}", self->state.id, self->system().render(err));
  });
}

/// The handlers of a room and of a relay (which differ where they test
/// `is_relay`).
room_impl::behavior_type behavior(room_pointer self) {
  return {
    [self](enter_atom, enter_request& req) -> caf::result<enter_reply> {
      auto& st = self->state;
      if (st.is_relay)
        return room_cluster::relay_enter(self, req);
      if (st.moving) {
        ++st.enters_seen;
        return moving_error(st);
      }
      if (auto refusal = refuse_enter(self, req)) {
        ++st.enters_seen;
        return std::move(*refusal);
      }
      if (req.role != enter_role::relay && req.last_seq > 0
          && static_cast<std::uint64_t>(req.last_seq) > st.committed_seq)
        return defer_enter(self, req); // another writer committed more
      return room_detail::enter(self, req);
    },
    [self](caf::publish_atom,
           publish_request& req) -> caf::result<publish_ack> {
      auto& st = self->state;
      if (st.is_relay)
        return room_cluster::relay_publish(self, false, req);
      if (st.moving)
        return moving_error(st);
      return on_publish(self, req);
    },
    [self](post_atom, publish_request& req) -> caf::result<publish_ack> {
      auto& st = self->state;
      if (st.is_relay) {
        ++st.enters_seen; // counted by the directory like an ENTER
        return room_cluster::relay_publish(self, true, req);
      }
      if (st.moving) {
        ++st.enters_seen;
        return moving_error(st);
      }
      if (auto refusal = refuse_post(self, req))
        return std::move(*refusal);
      return on_publish(self, req);
    },
    [self](exit_atom, const session_actor& who) {
      remove_member(self, who.address());
    },
    [self](idle_chk_atom, std::uint64_t gen) { check_idle(self, gen); },
    [self](change_atom, room_change& change) {
      // Relays keep a ring too.
      if (change.kind == room_change_kind::member_deleted)
        forget_member(self, change.member_id);
      else if (!self->state.is_relay)
        apply_change(self, change);
    },
    [self](stop_atom) {
      refuse_deferred(
        self, caf::make_error(errc::unavailable, "room stopping, retry"));
      room_detail::drop_all_entering(
        self, caf::make_error(errc::unavailable, "room stopping, retry"));
      self->quit();
    },
    [self](replay_chk_atom) { room_detail::on_replay_tick(self); },
    [self](presence_atom) -> caf::result<std::vector<std::int64_t>> {
      auto& st = self->state;
      if (st.is_relay && st.upstream)
        return self->delegate(st.upstream, presence_atom_v);
      return room_cluster::presence(st);
    },
    [self](moved_atom) { room_cluster::move(self); },
    [self](event_batch& batch) {
      if (self->state.is_relay)
        room_cluster::relay_events(self, batch);
    },
    [self](removed_atom, const std::string&, const caf::error& why) {
      if (self->state.is_relay)
        room_cluster::relay_dropped(self, why);
    },
    [self](removed_atom, const session_actor& who, const caf::error& why) {
      if (self->state.is_relay)
        room_cluster::relay_drop_member(self, who, why);
    },
    [self](admin_atom) { return room_admin::describe(self); },
    [self](admin_atom, publish_request& req) {
      return room_admin::broadcast(self, req);
    },
    [self](kick_atom, std::int64_t member) {
      return room_admin::kick(self, member);
    },
    [self](close_atom) { return room_admin::close(self); },
    [self](block_atom, const session_actor& who,
           std::vector<std::int64_t>& ids) {
      auto& members = self->state.members;
      if (auto i = members.find(who.address()); i != members.end())
        i->second.blocked = make_block_list(std::move(ids));
    },
  };
}

} // namespace

room_impl::behavior_type room(room_pointer self, std::string id,
                              room_env_ptr env, directory_actor directory,
                              room_creator creator) {
  init(self, std::move(id), std::move(env), std::move(directory));
  // Seqs continue where the store left off: nothing else is handled before
  // the room knows its last seq. The directory spawns a room only to forward
  // an ENTER, so no idle timer is armed yet.
  load_or_create(self, std::move(creator), [self](room_snapshot& snap) {
    if (snap.deleted) {
      become_deleted(self);
      return;
    }
    apply_snapshot(self, snap);
  });
  return behavior(self);
}

room_impl::behavior_type relay(room_pointer self, std::string id,
                               room_env_ptr env, directory_actor directory,
                               directory_actor owner, room_creator creator) {
  init(self, std::move(id), std::move(env), std::move(directory));
  self->state.is_relay = true;
  self->state.owner_directory = std::move(owner);
  room_cluster::subscribe(self, std::move(creator));
  return behavior(self);
}

// -- what the room's other files use (room_fence.hpp) -------------------------

namespace room_internal {

void fan_out_event(room_pointer self, event_ptr ev) {
  fan_out(self, std::move(ev));
}

void drop_member(room_pointer self, const caf::actor_addr& who) {
  remove_member(self, who);
}

std::size_t drop_sessions_of(room_pointer self, std::int64_t member,
                             const caf::error& why) {
  return drop_sessions(self, member, why);
}

caf::result<publish_ack> publish(room_pointer self, publish_request& req) {
  return on_publish(self, req);
}

void send_append(room_pointer self, room_event ev) {
  auto seq = ev.seq;
  self
    ->request(self->state.env->persistence, caf::infinite, append_atom_v,
              std::move(ev))
    .then([self, seq](publish_ack& ack) { on_committed(self, seq, ack); },
          [self, seq](caf::error& err) { on_commit_failed(self, seq, err); });
}

void idle_if_unused(room_pointer self) {
  maybe_idle(self);
}

void end_deleted(room_pointer self) {
  apply_change(self, room_change{self->state.id, room_change_kind::deleted, 0});
}

void check_idle(room_pointer self, std::uint64_t gen) {
  auto& st = self->state;
  if (gen != st.idle_generation || !st.members.empty() || !st.pending.empty())
    return;
  self
    ->request(st.directory, std::chrono::seconds(10), idle_atom_v, st.id,
              st.enters_seen)
    .then(
      [self](bool stop) {
        if (stop) {
          spdlog::debug("room {} stops after idle timeout", self->state.id);
          self->quit();
        }
      },
      [self](caf::error&) {
        // The directory is gone (shutdown): nothing routes here any more.
        self->quit();
      });
}

} // namespace room_internal

} // namespace h2h
