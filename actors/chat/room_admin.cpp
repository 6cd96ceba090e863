// What a room tells and lets the admin actor do: its state, a system
// message, a kick, a close. Answered from the room's state, at once.
#include "actors/chat/room_admin.hpp"

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "actors/chat/room_cluster.hpp"
#include "actors/chat/room_fence.hpp"
#include "actors/chat/room_replay.hpp"

namespace h2h::room_admin {

using namespace room_internal;

void note_event(room_state& st, const room_event& ev) {
  if (ev.kind == event_kind::message)
    st.rate.add(ev.ts_ms);
  st.last_activity_ms = std::max(st.last_activity_ms, ev.ts_ms);
}

admin_room describe(room_pointer self) {
  auto& st = self->state;
  admin_room r;
  r.id = st.id;
  r.relay = st.is_relay;
  r.seq = st.committed_seq;
  r.members_total = st.is_private ? st.allowed.size() : st.recorded.size();
  r.members_online = room_cluster::presence(st).size();
  // A few protocols and nodes: a small ordered map, built per question.
  std::map<std::string, std::uint64_t> subs;
  for (auto& [addr, m] : st.members) {
    if (m.replay != 0 || m.role == enter_role::relay)
      continue;
    if (m.role == enter_role::relayed)
      ++subs["relay:" + caf::to_string(m.via.node())];
    else
      ++subs[*m.protocol ? std::string{m.protocol} : std::string{"other"}];
  }
  r.subscribers.assign(subs.begin(), subs.end());
  r.mailbox = self->mailbox().size();
  auto now = st.env->now_ms ? st.env->now_ms() : st.last_activity_ms;
  r.rate = st.rate.per_second(now);
  r.persistence_lag = st.last_seq - st.committed_seq;
  r.last_activity_ms = st.last_activity_ms;
  return r;
}

caf::result<publish_ack> broadcast(room_pointer self, publish_request& req) {
  auto& st = self->state;
  ++st.enters_seen; // the directory counts it like an ENTER
  if (st.refused) {
    // Nobody created the room: it stops (idle handshake), nothing created.
    self->send(self, idle_chk_atom_v, ++st.idle_generation);
    return st.refused;
  }
  if (st.is_relay)
    return caf::make_error(errc::unavailable,
                           "room " + st.id + " is owned by another node");
  if (st.moving)
    return moving_error(st);
  auto r = publish(self, req);
  idle_if_unused(self);
  return r;
}

std::uint64_t kick(room_pointer self, std::int64_t member) {
  auto& st = self->state;
  if (st.is_relay || member == 0)
    return 0; // the owner drops relayed sessions through their relays
  auto n = drop_sessions_of(
    self, member,
    caf::make_error(errc::not_member,
                    "removed from room " + st.id + " by an operator"));
  spdlog::info("room {}: member {} kicked ({} session(s))", st.id, member, n);
  return n;
}

std::uint64_t close(room_pointer self) {
  auto& st = self->state;
  auto why = caf::make_error(errc::unavailable,
                             "room " + st.id + " was closed by an operator");
  refuse_deferred(self, why);
  auto n = drop_sessions_of(self, 0, why);
  // Relays of other nodes: their sessions were dropped one by one above (in
  // order, before this); the relay then ends as when its owner goes away.
  for (auto& [addr, m] : st.members)
    if (m.role == enter_role::relay) {
      self->demonitor(addr);
      self->send(m.handle, removed_atom_v, st.id, why);
    }
  st.members.clear();
  // Messages not committed yet may still be stored: their senders hear so.
  refuse_pending(self, caf::make_error(errc::owner_lost,
                                       "room " + st.id
                                         + " was closed before it answered: "
                                           "the message may be stored"));
  spdlog::info("room {} closed by an operator ({} session(s) dropped)", st.id,
               n);
  self->quit();
  return n;
}

} // namespace h2h::room_admin
