// The room actor's ENTER path: admission, replay from the ring or the store
// (an epoch per replay, one deadline timer, a bounded hold of live events)
// and refusal (CHAT_006) without a gap.
#include "actors/chat/room_replay.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace h2h::room_detail {

namespace {

/// Hands events to one member (in seq order, each above what it has): into
/// its connection's queue when the session gave us one, else to the session.
void deliver(room_pointer self, room_member& m, event_batch batch) {
  if (batch.events.empty())
    return;
  m.delivered = batch.events.back()->data().seq;
  if (m.blocked) { // messages of members it blocks are skipped, not gaps
    auto& evs = batch.events;
    evs.erase(std::remove_if(evs.begin(), evs.end(),
                             [&m](const event_ptr& ev) {
                               return hides(*m.blocked, ev->data());
                             }),
              evs.end());
    if (evs.empty())
      return;
  }
  if (m.sink)
    m.sink->deliver(batch);
  else
    self->send(m.handle, std::move(batch));
}

enter_reply reply_of(room_pointer self) {
  return enter_reply{caf::actor_cast<room_actor>(self),
                     self->state.committed_seq};
}

/// What holding `ev` costs, counted as a copy would (the bound stays what
/// it was, though the event itself is shared now).
std::size_t held_size(const room_event& ev) {
  return sizeof(room_event) + ev.room_id.size() + ev.sender.size()
         + ev.text.size() + ev.client_msg_id.size();
}

/// Makes the member present: live events and its ENTER notice from now on.
void admit(room_pointer self, room_member& m) {
  auto& st = self->state;
  m.replay = 0;
  // A relay's subscription is nobody; a relay's own members are announced
  // and recorded by the owner; a member that enters again after a move was
  // announced when it first entered.
  if (st.is_relay || m.role == enter_role::relay)
    return;
  if (!st.is_private && m.sender_id != 0
      && st.recorded.insert(m.sender_id).second)
    self->send(st.env->persistence, caf::join_atom_v, st.id, m.sender_id);
  if (!m.quiet)
    announce(self, event_kind::enter, m.sender, m.sender_id);
}

/// Sends the member what the ring holds after its last seq; false when the
/// ring does not reach back that far (the store has to).
bool replay_from_ring(room_pointer self, room_member& m) {
  auto& st = self->state;
  if (m.delivered >= st.committed_seq)
    return true;
  if (st.ring.empty() || st.ring.front().seq > m.delivered + 1)
    return false;
  event_batch batch;
  for (auto& ev : st.ring)
    if (ev.seq > m.delivered)
      batch.events.push_back(make_event(from_ring(ev, st.id)));
  deliver(self, m, std::move(batch));
  return true;
}

/// The member a replay is for, or null when it is gone.
room_member* member_of(room_state& st, const replay_job& job,
                       std::uint64_t epoch) {
  auto i = st.members.find(job.member);
  return i != st.members.end() && i->second.replay == epoch ? &i->second
                                                            : nullptr;
}

/// Ends a replay without admitting its member: no notice, no trace.
void refuse(room_pointer self, std::uint64_t epoch, const caf::error& why) {
  auto& st = self->state;
  auto j = st.replays.find(epoch);
  if (j == st.replays.end())
    return;
  auto waiters = std::move(j->second.waiters);
  auto who = j->second.member;
  st.replays.erase(j);
  auto i = st.members.find(who);
  if (i != st.members.end() && i->second.replay == epoch) {
    self->demonitor(who);
    st.members.erase(i);
  }
  for (auto& w : waiters)
    w.deliver(why);
  settle(self);
}

caf::error replay_failed(const room_state& st, const room_member* m,
                         std::uint64_t from) {
  // What went out already is valid: a retry from the last seq received
  // repeats nothing (see docs/protocol.md).
  if (m && m->delivered > from)
    return caf::make_error(errc::unavailable,
                           "replay of room " + st.id + " stopped after seq "
                             + std::to_string(m->delivered)
                             + ", ENTER again with that lastSeq");
  return caf::make_error(errc::unavailable,
                         "replay of room " + st.id
                           + " failed, ENTER again with the same lastSeq");
}

/// The replay is complete: the member is in, every waiting ENTER answered.
void complete(room_pointer self, std::uint64_t epoch) {
  auto& st = self->state;
  auto j = st.replays.find(epoch);
  auto waiters = std::move(j->second.waiters);
  auto* m = member_of(st, j->second, epoch);
  st.replays.erase(j);
  admit(self, *m);
  auto reply = reply_of(self);
  for (auto& w : waiters)
    w.deliver(reply);
}

void read_chunk(room_pointer self, std::uint64_t epoch, std::uint64_t after);

/// The store part is read: what was committed meanwhile follows, then the
/// member is in. If held events were dropped (too many bytes), they come
/// from the ring, or the store is read again from the last seq delivered.
void catch_up(room_pointer self, std::uint64_t epoch) {
  auto& st = self->state;
  auto& job = st.replays.at(epoch);
  auto& m = *member_of(st, job, epoch);
  if (!job.overflowed) {
    event_batch held;
    held.events.swap(job.held);
    deliver(self, m, std::move(held)); // all above `upto`, in seq order
    complete(self, epoch);
  } else if (replay_from_ring(self, m)) {
    complete(self, epoch);
  } else {
    job.overflowed = false;
    job.held_bytes = 0;
    job.upto = st.committed_seq;
    read_chunk(self, epoch, m.delivered);
  }
}

void on_chunk(room_pointer self, std::uint64_t epoch, history_page& page) {
  auto& st = self->state;
  auto j = st.replays.find(epoch);
  if (j == st.replays.end())
    return; // stale: refused, or the member left (and maybe came back)
  auto& job = j->second;
  auto* m = member_of(st, job, epoch);
  if (!m) {
    st.replays.erase(j);
    return;
  }
  event_batch batch;
  bool past_upto = false;
  for (auto& ev : page.events) {
    if (ev.seq > job.upto) {
      past_upto = true; // committed, but live for this room: it comes held
      break;
    }
    if (ev.seq > m->delivered)
      batch.events.push_back(make_event(std::move(ev)));
  }
  deliver(self, *m, std::move(batch));
  if (!past_upto && page.events.size() >= st.env->replay_chunk
      && m->delivered < job.upto)
    read_chunk(self, epoch, m->delivered);
  else
    catch_up(self, epoch);
}

/// Reads the store after `after`. No request timeout (CAF 0.17 keeps each
/// for its whole span): one timer watches the replay's deadline.
void read_chunk(room_pointer self, std::uint64_t epoch, std::uint64_t after) {
  auto& st = self->state;
  history_query q{st.id, history_mode::after, after,
                  std::max<std::uint64_t>(st.env->replay_chunk, 1)};
  self
    ->request(st.env->persistence, caf::infinite, history_atom_v, std::move(q))
    .then([self, epoch](history_page& page) { on_chunk(self, epoch, page); },
          [self, epoch](caf::error& err) {
            auto& st = self->state;
            auto j = st.replays.find(epoch);
            if (j == st.replays.end())
              return;
            spdlog::warn("room {}: replay failed: {}", st.id,
                         self->system().render(err));
            refuse(self, epoch,
                   replay_failed(st, member_of(st, j->second, epoch),
                                 j->second.from));
          });
}

void arm_replay_timer(room_pointer self) {
  auto& st = self->state;
  if (st.replays.empty())
    return;
  // Epochs ascend with their deadlines: the first replay is due first.
  auto due = st.replays.begin()->second.deadline;
  if (st.replay_timer_armed && st.replay_timer_due <= due)
    return;
  st.replay_timer_armed = true;
  st.replay_timer_due = due;
  auto wait = due - self->clock().now();
  self->delayed_send(self, std::max(wait, decltype(wait){0}),
                     replay_chk_atom_v);
}

/// Reads the replay from the store; the ENTER is answered when it is done.
caf::result<enter_reply> start_replay(room_pointer self, room_member& m,
                                      const caf::actor_addr& who,
                                      enter_promise* given) {
  auto& st = self->state;
  auto epoch = ++st.last_replay_epoch;
  m.replay = epoch;
  replay_job job;
  job.member = who;
  job.from = m.delivered;
  job.upto = st.committed_seq;
  job.deadline = self->clock().now() + st.env->read_timeout;
  auto promise = given ? *given : self->make_response_promise<enter_reply>();
  job.waiters.push_back(promise);
  st.replays.emplace(epoch, std::move(job));
  arm_replay_timer(self);
  read_chunk(self, epoch, m.delivered);
  return promise;
}

} // namespace

caf::result<enter_reply> enter(room_pointer self, enter_request& req,
                               enter_promise* given) {
  auto& st = self->state;
  ++st.enters_seen;
  if (st.is_private && req.role != enter_role::relay
      && (req.sender_id == 0 || st.allowed.count(req.sender_id) == 0)) {
    settle(self);
    return caf::make_error(errc::not_member, "not a member of room " + st.id);
  }
  ++st.idle_generation;
  auto addr = req.session.address();
  if (auto i = st.members.find(addr); i != st.members.end()) {
    // The same connection again: it has had every event since its first
    // ENTER, so nothing is replayed and no notice goes out. While that
    // first ENTER's replay is read, this one waits for the same answer.
    i->second.blocked = std::move(req.blocked); // the session's newest
    if (i->second.replay == 0)
      return reply_of(self);
    auto promise = given ? *given : self->make_response_promise<enter_reply>();
    st.replays.at(i->second.replay).waiters.push_back(promise);
    return promise;
  }
  self->monitor(req.session);
  room_member m;
  m.handle = req.session;
  m.sink = std::move(req.sink);
  m.sender = req.sender;
  m.sender_id = req.sender_id;
  m.role = req.role;
  m.via = std::move(req.via);
  m.quiet = req.quiet;
  m.protocol = protocol_name(req.protocol);
  m.blocked = std::move(req.blocked);
  if (m.role == enter_role::relayed)
    req.last_seq = -1; // its relay replays, from the shared store
  // Without lastSeq, or with one at or past what is committed, there is
  // nothing to replay: live events start after the committed seq.
  m.delivered
    = req.last_seq < 0
        ? st.committed_seq
        : std::min(static_cast<std::uint64_t>(req.last_seq), st.committed_seq);
  auto& member = st.members.emplace(addr, std::move(m)).first->second;
  if (!replay_from_ring(self, member))
    return start_replay(self, member, addr, given);
  admit(self, member);
  return reply_of(self);
}

void hold(room_state& st, const room_member& m, const event_ptr& ev) {
  auto j = st.replays.find(m.replay);
  if (j == st.replays.end() || j->second.overflowed)
    return;
  auto& job = j->second;
  auto bytes = held_size(ev->data());
  if (job.held_bytes + bytes > st.env->replay_hold_bytes) {
    // Beyond the bound the replay reads these from the ring or the store
    // once it gets there: memory stays bounded, order and exactly-once too.
    job.overflowed = true;
    job.held_bytes = 0;
    std::vector<event_ptr>{}.swap(job.held);
    return;
  }
  job.held.push_back(ev);
  job.held_bytes += bytes;
}

void drop_entering(room_pointer self, const caf::actor_addr& who,
                   const caf::error& why) {
  auto& st = self->state;
  auto i = st.members.find(who);
  if (i != st.members.end() && i->second.replay != 0)
    refuse(self, i->second.replay, why);
}

void drop_all_entering(room_pointer self, const caf::error& why) {
  while (!self->state.replays.empty())
    refuse(self, self->state.replays.begin()->first, why);
}

void on_replay_tick(room_pointer self) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (now >= st.replay_timer_due)
    st.replay_timer_armed = false;
  while (!st.replays.empty() && st.replays.begin()->second.deadline <= now) {
    auto epoch = st.replays.begin()->first;
    auto& job = st.replays.begin()->second;
    spdlog::warn("room {}: replay not done in time", st.id);
    auto why = replay_failed(st, member_of(st, job, epoch), job.from);
    refuse(self, epoch, why);
  }
  arm_replay_timer(self);
}

} // namespace h2h::room_detail
