// The room actor: one per active room; assigns seqs, dedupes, has every
// event committed before anyone sees it, replays, and fans out.
#include "actors/room_actor.hpp"

#include <optional>

#include <spdlog/spdlog.h>

#include "actors/fan_out.hpp"
#include "actors/room_admission.hpp"
#include "actors/room_fence.hpp"

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
  if (st.members.empty() && st.pending.empty())
    arm_idle_timer(self);
}

void remember_committed(room_state& st, const room_event& ev) {
  if (st.env->replay_ring > 0) {
    st.ring.push_back(ev);
    if (st.ring.size() > st.env->replay_ring)
      st.ring.pop_front();
  }
}

/// Hands events to one member: straight into its connection's queue when
/// the session gave us one, else as a message to the session actor.
void deliver(room_pointer self, const room_member& m, event_batch batch) {
  if (m.sink)
    m.sink->deliver(batch);
  else
    self->send(m.handle, std::move(batch));
}

/// Sends a committed event to every member, encoded once and shared by all;
/// members whose replay is still being read get it afterwards.
void fan_out(room_pointer self, room_event ev) {
  auto& st = self->state;
  if (st.env->encode)
    ev.wire = st.env->encode(ev);
  remember_committed(st, ev);
  event_batch batch;
  batch.events.push_back(std::move(ev));
  const auto& sent = batch.events.front();
  std::optional<caf::message> msg; // built once, for members without sinks
  std::size_t receivers = 0;
  for (auto& [addr, m] : st.members) {
    if (m.replaying) {
      m.held.push_back(sent);
    } else if (m.sink) {
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
}

/// Removes the oldest uncommitted event, which must be `seq` (the store
/// answers in order).
uncommitted take_pending(room_state& st, std::uint64_t seq) {
  auto i = st.pending.begin();
  if (i == st.pending.end() || i->event.seq != seq) {
    spdlog::error("room {}: commit of seq {} arrived out of order", st.id, seq);
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
  if (!u.event.client_msg_id.empty())
    st.recent.remember(u.event.sender_id, u.event.sender, u.event.client_msg_id,
                       ack);
  if (ack.status != append_status::duplicate) {
    st.committed_seq = seq;
    fan_out(self, std::move(u.event));
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
  maybe_idle(self);
}

void on_commit_failed(room_pointer self, std::uint64_t seq,
                      const caf::error& err) {
  auto& st = self->state;
  spdlog::error("room {}: seq {} not committed: {}", st.id, seq,
                self->system().render(err));
  auto u = take_pending(st, seq);
  for (auto& w : u.waiters)
    w.deliver(err);
  switch (to_errc(err)) {
    case errc::seq_conflict: // another writer: where does the room stand?
      reload_seq(self);
      break;
    case errc::no_such_room: // deleted (the store refused it for good)
      end_deleted(self);
      return;
    default:
      break;
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

void finish_replay(room_pointer self, const caf::actor_addr& who) {
  auto i = self->state.members.find(who);
  if (i == self->state.members.end())
    return;
  auto& m = i->second;
  if (!m.held.empty()) {
    event_batch held;
    held.events.swap(m.held);
    deliver(self, m, std::move(held));
  }
  m.replaying = false;
}

/// Sends the member every committed event in (after, upto], reading the
/// store a chunk at a time; live events wait in the member's `held` list.
void replay_from_store(room_pointer self, caf::actor_addr who,
                       std::uint64_t after, std::uint64_t upto) {
  auto& st = self->state;
  history_query q{st.id, history_mode::after, after, st.env->replay_chunk};
  self
    ->request(st.env->persistence, std::chrono::seconds{30}, history_atom_v,
              std::move(q))
    .then(
      [self, who, upto](history_page& page) {
        auto i = self->state.members.find(who);
        if (i == self->state.members.end() || !i->second.replaying)
          return; // left meanwhile
        event_batch batch;
        std::uint64_t last = 0;
        for (auto& ev : page.events) {
          if (ev.seq > upto)
            break;
          last = ev.seq;
          batch.events.push_back(std::move(ev));
        }
        if (!batch.events.empty())
          deliver(self, i->second, std::move(batch));
        if (last != 0 && last < upto
            && page.events.size() == self->state.env->replay_chunk)
          replay_from_store(self, who, last, upto);
        else
          finish_replay(self, who);
      },
      [self, who](caf::error& err) {
        spdlog::warn("room {}: replay failed: {}", self->state.id,
                     self->system().render(err));
        finish_replay(self, who);
      });
}

/// Replays every committed event after `after` to a member, then live ones.
void replay(room_pointer self, room_member& m, std::int64_t after) {
  auto& st = self->state;
  if (after < 0 || static_cast<std::uint64_t>(after) >= st.committed_seq
      || m.replaying)
    return;
  auto from = static_cast<std::uint64_t>(after);
  if (!st.ring.empty() && st.ring.front().seq <= from + 1) {
    event_batch batch;
    for (auto& ev : st.ring)
      if (ev.seq > from)
        batch.events.push_back(ev);
    if (!batch.events.empty())
      deliver(self, m, std::move(batch));
    return;
  }
  m.replaying = true;
  replay_from_store(self, m.handle.address(), from, st.committed_seq);
}

void remove_member(room_pointer self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto i = st.members.find(who);
  if (i == st.members.end())
    return;
  auto sender = std::move(i->second.sender);
  auto sender_id = i->second.sender_id;
  self->demonitor(who);
  st.members.erase(i);
  if (persist_queue_full(st)) {
    // The member leaves anyway; only its notice is skipped (no seq used).
    maybe_idle(self);
    return;
  }
  submit(
    self,
    next_event(st, event_kind::exit, sender, sender_id, sender + " left.", {}),
    nullptr);
}

/// Drops every session of `member` (or all, for 0) from the room, telling
/// each why.
void drop_sessions(room_pointer self, std::int64_t member, errc why) {
  auto& st = self->state;
  std::vector<caf::actor_addr> gone;
  for (auto& [addr, m] : st.members)
    if (member == 0 || m.sender_id == member) {
      self->send(m.handle, removed_atom_v, st.id, caf::make_error(why));
      gone.push_back(addr);
    }
  for (auto& addr : gone)
    remove_member(self, addr);
}

void apply_change(room_pointer self, const room_change& change) {
  auto& st = self->state;
  switch (change.kind) {
    case room_change_kind::member_added:
      st.allowed.insert(change.member_id);
      st.recorded.insert(change.member_id);
      break;
    case room_change_kind::member_removed:
      st.allowed.erase(change.member_id);
      st.recorded.erase(change.member_id);
      drop_sessions(self, change.member_id, errc::not_member);
      break;
    case room_change_kind::deleted:
      for (auto& [addr, m] : st.members) {
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
    if (i >= ring_from) {
      if (st.env->encode)
        ev.wire = st.env->encode(ev);
      st.ring.push_back(std::move(ev));
    }
  }
}

} // namespace

room_actor::behavior_type room(room_pointer self, std::string id,
                               room_env_ptr env, directory_actor directory,
                               room_creator creator) {
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
  self->set_down_handler(
    [self](const caf::down_msg& dm) { remove_member(self, dm.source); });
  self->set_error_handler([self](caf::error& err) {
    spdlog::warn("room {}: {}", self->state.id, self->system().render(err));
  });
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
  return {
    [self](enter_atom, enter_request& req) -> caf::result<enter_reply> {
      auto& st = self->state;
      ++st.enters_seen;
      if (auto refusal = refuse_enter(self, req))
        return std::move(*refusal);
      if (st.is_private
          && (req.sender_id == 0 || st.allowed.count(req.sender_id) == 0)) {
        maybe_idle(self);
        return caf::make_error(errc::not_member,
                               "not a member of room " + st.id);
      }
      if (!st.is_private && req.sender_id != 0
          && st.recorded.insert(req.sender_id).second)
        self->send(st.env->persistence, caf::join_atom_v, st.id, req.sender_id);
      ++st.idle_generation;
      auto addr = req.session.address();
      auto i = st.members.find(addr);
      bool is_new = i == st.members.end();
      if (is_new) {
        self->monitor(req.session);
        room_member m;
        m.handle = req.session;
        m.sink = std::move(req.sink);
        m.sender = req.sender;
        m.sender_id = req.sender_id;
        i = st.members.emplace(addr, std::move(m)).first;
      }
      replay(self, i->second, req.last_seq);
      if (is_new)
        submit(self,
               next_event(st, event_kind::enter, req.sender, req.sender_id,
                          req.sender + " entered.", {}),
               nullptr);
      return enter_reply{caf::actor_cast<room_actor>(self), st.committed_seq};
    },
    [self](caf::publish_atom,
           publish_request& req) -> caf::result<publish_ack> {
      auto& st = self->state;
      auto& metrics = *st.env->metrics;
      if (!req.client_msg_id.empty()) {
        if (auto* ack
            = st.recent.find(req.sender_id, req.sender, req.client_msg_id)) {
          metrics.duplicates.fetch_add(1, std::memory_order_relaxed);
          return *ack;
        }
        auto key
          = dedupe_window::key(req.sender_id, req.sender, req.client_msg_id);
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
      if (metrics.persist_queue.load(std::memory_order_relaxed)
          >= st.env->persist_queue_max) {
        metrics.refused_full.fetch_add(1, std::memory_order_relaxed);
        return caf::make_error(errc::unavailable,
                               "store unavailable, retry later");
      }
      metrics.messages_in.fetch_add(1, std::memory_order_relaxed);
      auto promise = self->make_response_promise<publish_ack>();
      submit(self,
             next_event(st, event_kind::message, std::move(req.sender),
                        req.sender_id, std::move(req.text),
                        std::move(req.client_msg_id)),
             &promise);
      return promise;
    },
    [self](exit_atom, const session_actor& who) {
      remove_member(self, who.address());
    },
    [self](idle_chk_atom, std::uint64_t gen) { check_idle(self, gen); },
    [self](change_atom, room_change& change) { apply_change(self, change); },
    [self](stop_atom) { self->quit(); },
  };
}

// -- what the room's other files use (room_fence.hpp) -------------------------

namespace room_internal {

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
