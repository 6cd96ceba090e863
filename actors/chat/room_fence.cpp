// The room's defences around the store's per-event outcomes: the seq reload
// after a conflict, the refusal of what waits when a room is deleted, and
// the behaviour of a room whose id was deleted.
#include "actors/chat/room_fence.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace h2h::room_internal {

namespace {

/// Index of the first event of `pending` not handed to the store yet.
std::size_t first_unsent(const room_state& st) {
  return st.pending.size() - st.unsent;
}

/// The store answered: seqs continue above the store's last seq and above
/// every seq already handed to the store (those may still commit). The
/// waiting events get theirs now, in order, and go out.
void reloaded(room_pointer self, const room_snapshot& snap) {
  auto& st = self->state;
  st.reloading = false;
  if (snap.deleted) {
    end_deleted(self);
    return;
  }
  auto from = first_unsent(st);
  auto base = std::max(st.committed_seq, snap.last_seq);
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
               st.id, snap.last_seq, base);
  st.last_seq = base;
  st.unsent = 0;
  for (auto i = from; i < st.pending.size(); ++i)
    send_append(self, st.pending[i].event);
}

/// No answer: the waiting events cannot get a safe seq; they are refused
/// (the clients retry) and the next event tries the reload again.
void reload_failed(room_pointer self, const caf::error& err) {
  auto& st = self->state;
  spdlog::error("room {}: cannot reload its last seq: {}", st.id,
                self->system().render(err));
  st.reloading = false;
  st.seq_stale = true;
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
  idle_if_unused(self);
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
  spdlog::warn("room {}: a seq was taken by another writer; reloading", st.id);
  self
    ->request(st.env->persistence, std::chrono::seconds{30}, load_atom_v, st.id,
              std::uint64_t{0})
    .then([self](room_snapshot& snap) { reloaded(self, snap); },
          [self](caf::error& err) { reload_failed(self, err); });
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
    [](removed_atom, const session_actor&, const caf::error&) {});
  idle_if_unused(self);
}

} // namespace h2h::room_internal
