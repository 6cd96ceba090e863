// The room's defences around the store's per-event outcomes: the seq reload
// after a conflict, the refusal of what waits when a room is deleted, and
// the behaviour of a room whose id was deleted.
#include "actors/chat/room_fence.hpp"

#include "actors/chat/room_admin.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/chat/room_replay.hpp"

namespace h2h::room_internal {

namespace {

/// Index of the first event of `pending` not handed to the store yet.
std::size_t first_unsent(const room_state& st) {
  return st.pending.size() - st.unsent;
}

/// Appends handed to the store and not answered yet.
std::size_t in_flight(const room_state& st) {
  return st.pending.size() - st.unsent;
}

/// A committed event of the room, caught up from the store, goes to the
/// members (a retry of its clientMsgId is answered from the window).
void take_committed(room_pointer self, room_event ev) {
  auto& st = self->state;
  if (!ev.client_msg_id.empty())
    st.recent.remember(ev.sender_id, ev.sender, ev.client_msg_id,
                       publish_ack{ev.seq, ev.ts_ms, append_status::duplicate});
  st.committed_seq = ev.seq;
  fan_out_event(self, make_event(std::move(ev)));
}

/// The room's own events committed during the catch-up that the store read
/// did not bring (it failed): they go out now, in seq order.
void flush_held(room_pointer self) {
  auto& st = self->state;
  auto held = std::move(st.held_commits);
  st.held_commits.clear();
  std::sort(held.begin(), held.end(),
            [](auto& x, auto& y) { return x->data().seq < y->data().seq; });
  for (auto& ev : held)
    if (ev->data().seq > st.committed_seq) {
      st.committed_seq = ev->data().seq;
      fan_out_event(self, std::move(ev));
    }
}

/// An unsent event whose clientMsgId another writer committed already (the
/// client retried there): answered as the duplicate it is, never stored.
bool answered_from_window(room_state& st, uncommitted& u) {
  auto& ev = u.event;
  if (ev.client_msg_id.empty())
    return false;
  auto* ack = st.recent.find(ev.sender_id, ev.sender, ev.client_msg_id);
  if (!ack)
    return false;
  st.pending_ids.erase(
    dedupe_window::key(ev.sender_id, ev.sender, ev.client_msg_id));
  for (auto& w : u.waiters)
    w.deliver(*ack);
  return true;
}

/// The deferred ENTERs run now that the room caught up.
void run_deferred(room_pointer self) {
  auto& st = self->state;
  auto waiting = std::move(st.deferred);
  st.deferred.clear();
  for (auto& d : waiting) {
    if (st.moving) {
      ++st.enters_seen; // answered: the directory's idle count agrees
      d.promise.deliver(moving_error(st));
      continue;
    }
    auto r = room_detail::enter(self, d.req, &d.promise);
    if (r.flag == caf::rt_value)
      d.promise.deliver(r.value.get_as<enter_reply>(0));
    else if (r.flag == caf::rt_error)
      d.promise.deliver(r.err);
  }
}

/// The room caught up with the store up to `store_last`: seqs continue
/// above it and above every seq already handed to the store (those may
/// still commit). The waiting events get theirs now, in order, and go out.
void reloaded(room_pointer self, std::uint64_t store_last) {
  auto& st = self->state;
  st.reloading = false;
  flush_held(self);
  auto from = first_unsent(st);
  // What another writer committed under the same clientMsgId is not stored
  // again.
  for (auto i = from; i < st.pending.size();) {
    if (answered_from_window(st, st.pending[i])) {
      st.pending.erase(st.pending.begin() + static_cast<std::ptrdiff_t>(i));
      --st.unsent;
    } else {
      ++i;
    }
  }
  auto base = std::max(st.committed_seq, store_last);
  if (from > 0)
    base = std::max(base, st.pending[from - 1].event.seq);
  for (auto i = from; i < st.pending.size(); ++i) {
    auto& ev = st.pending[i].event;
    auto old_seq = ev.seq;
    ev.seq = ++base;
    if (!ev.client_msg_id.empty()) {
      auto key = dedupe_window::key(ev.sender_id, ev.sender, ev.client_msg_id);
      if (auto k = st.pending_ids.find(key);
          k != st.pending_ids.end() && k->second == old_seq)
        k->second = ev.seq;
    }
  }
  spdlog::warn("room {}: the store's last seq is {}; seqs continue after {}",
               st.id, store_last, base);
  st.last_seq = base;
  st.unsent = 0;
  for (auto i = from; i < st.pending.size(); ++i)
    send_append(self, st.pending[i].event);
  run_deferred(self);
  idle_if_unused(self);
}

/// No answer: the waiting events cannot get a safe seq; they are refused
/// (the clients retry) and the next event tries the reload again.
void reload_failed(room_pointer self, const caf::error& err) {
  auto& st = self->state;
  spdlog::error("room {}: cannot reload its last seq: {}", st.id,
                self->system().render(err));
  st.reloading = false;
  st.seq_stale = true;
  flush_held(self);
  auto from = first_unsent(st);
  auto refused = caf::make_error(errc::unavailable, "room unavailable, retry");
  for (auto i = from; i < st.pending.size(); ++i) {
    auto& u = st.pending[i];
    if (!u.event.client_msg_id.empty())
      st.pending_ids.erase(dedupe_window::key(u.event.sender_id, u.event.sender,
                                              u.event.client_msg_id));
    for (auto& w : u.waiters)
      w.deliver(refused);
  }
  st.pending.erase(st.pending.begin() + static_cast<std::ptrdiff_t>(from),
                   st.pending.end());
  st.unsent = 0;
  refuse_deferred(self, refused);
  idle_if_unused(self);
}

/// Reads what the store holds after the committed seq, chunk by chunk, up
/// to `store_last` at least, and hands it to the members.
void read_tail(room_pointer self, std::uint64_t store_last) {
  auto& st = self->state;
  if (st.committed_seq >= store_last) {
    reloaded(self, store_last);
    return;
  }
  auto chunk = std::max<std::uint64_t>(st.env->replay_chunk, 1);
  history_query q{st.id, history_mode::after, st.committed_seq, chunk};
  self
    ->request(st.env->persistence, std::chrono::seconds{30}, history_atom_v,
              std::move(q))
    .then(
      [self, store_last, chunk](history_page& page) {
        auto& st = self->state;
        auto before = st.committed_seq;
        for (auto& ev : page.events)
          if (ev.seq > st.committed_seq)
            take_committed(self, std::move(ev));
        if (page.events.size() >= chunk && st.committed_seq > before
            && st.committed_seq < store_last)
          read_tail(self, store_last);
        else
          reloaded(self, std::max(store_last, st.committed_seq));
      },
      [self](caf::error& err) { reload_failed(self, err); });
}

/// Every append sent is answered: where does the room stand now?
void load_last_seq(room_pointer self) {
  auto& st = self->state;
  self
    ->request(st.env->persistence, std::chrono::seconds{30}, load_atom_v, st.id,
              std::uint64_t{0})
    .then(
      [self](room_snapshot& snap) {
        if (snap.deleted) {
          self->state.reloading = false;
          refuse_deferred(
            self, caf::make_error(errc::no_such_room,
                                  "room " + self->state.id + " was deleted"));
          end_deleted(self);
          return;
        }
        read_tail(self, snap.last_seq);
      },
      [self](caf::error& err) { reload_failed(self, err); });
}

caf::error no_such_room(const room_state& st) {
  return caf::make_error(errc::no_such_room, "no such room " + st.id);
}

} // namespace

void reload_seq(room_pointer self) {
  auto& st = self->state;
  st.seq_stale = false;
  if (st.reloading)
    return;
  st.reloading = true;
  spdlog::warn("room {}: another writer committed seqs; catching up", st.id);
  if (in_flight(st) > 0) {
    st.catchup_waits = true; // appended() goes on
    return;
  }
  load_last_seq(self);
}

void appended(room_pointer self) {
  auto& st = self->state;
  if (st.catchup_waits && in_flight(st) == 0) {
    st.catchup_waits = false;
    load_last_seq(self);
  }
}

bool retry_conflicted(room_pointer self, uncommitted& u) {
  auto& st = self->state;
  if (st.moving || !st.reloading || u.conflicts >= 3)
    return false;
  ++u.conflicts;
  if (!u.event.client_msg_id.empty())
    st.pending_ids[dedupe_window::key(u.event.sender_id, u.event.sender,
                                      u.event.client_msg_id)]
      = u.event.seq;
  st.pending.push_back(std::move(u));
  ++st.unsent;
  return true;
}

caf::result<enter_reply> defer_enter(room_pointer self, enter_request& req) {
  auto& st = self->state;
  if (st.deferred.size() >= unsent_max)
    return caf::make_error(errc::unavailable,
                           "room " + st.id + " unavailable, retry");
  auto promise = self->make_response_promise<enter_reply>();
  st.deferred.push_back({std::move(req), promise});
  reload_seq(self);
  return promise;
}

void refuse_deferred(room_pointer self, const caf::error& err) {
  auto& st = self->state;
  auto waiting = std::move(st.deferred);
  st.deferred.clear();
  // Each counts as an ENTER the room saw (the directory's idle protocol).
  st.enters_seen += waiting.size();
  for (auto& d : waiting)
    d.promise.deliver(err);
}

void refuse_pending(room_pointer self, const caf::error& err) {
  auto& st = self->state;
  for (auto& u : st.pending)
    for (auto& w : u.waiters)
      w.deliver(err);
  st.pending.clear();
  st.pending_ids.clear();
  st.unsent = 0;
}

void become_deleted(room_pointer self) {
  spdlog::info("room {} was deleted: refusing it", self->state.id);
  self->become(
    [self](enter_atom, enter_request&) -> caf::result<enter_reply> {
      ++self->state.enters_seen;
      idle_if_unused(self);
      return no_such_room(self->state);
    },
    [self](caf::publish_atom, publish_request&) -> caf::result<publish_ack> {
      return no_such_room(self->state);
    },
    [self](post_atom, publish_request&) -> caf::result<publish_ack> {
      ++self->state.enters_seen; // forwarded by the directory, as an ENTER
      idle_if_unused(self);
      return no_such_room(self->state);
    },
    [](exit_atom, const session_actor&) {},
    [self](idle_chk_atom, std::uint64_t gen) { check_idle(self, gen); },
    [](change_atom, room_change&) {}, [self](stop_atom) { self->quit(); },
    [](replay_chk_atom) {}, // a deleted room replays nothing
    [](presence_atom) { return std::vector<std::int64_t>{}; },
    [self](moved_atom) { self->quit(); }, // nobody to move
    [](event_batch&) {},
    [](removed_atom, const std::string&, const caf::error&) {},
    [](removed_atom, const session_actor&, const caf::error&) {},
    [self](admin_atom) { return room_admin::describe(self); },
    [self](admin_atom, publish_request&) -> caf::result<publish_ack> {
      ++self->state.enters_seen; // forwarded by the directory, as an ENTER
      idle_if_unused(self);
      return no_such_room(self->state);
    },
    [](kick_atom, std::int64_t) { return std::uint64_t{0}; },
    [](block_atom, const session_actor&, std::vector<std::int64_t>&) {},
    [self](close_atom) {
      self->quit();
      return std::uint64_t{0};
    });
  idle_if_unused(self);
}

caf::error moving_error(const room_state& st) {
  return caf::make_error(errc::room_moved,
                         "room " + st.id + " is moving to another node, retry");
}

} // namespace h2h::room_internal
