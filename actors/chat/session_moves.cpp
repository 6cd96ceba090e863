// The session's side of a room that moves to another node (cluster): it
// enters the room again where it lives now, and sends again the messages
// the move caught.
#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "actors/chat/session_detail.hpp"

namespace h2h::session_detail {

namespace {

/// The moved room is entered again, or given up (`err`): the sends held
/// for it go there first (or are refused), then what the client sent
/// meanwhile runs.
void rejoined(session_pointer self, const std::string& room_id,
              const caf::error& err) {
  auto& st = self->state;
  st.rejoins.erase(
    std::remove_if(st.rejoins.begin(), st.rejoins.end(),
                   [&](const rejoin_job& r) { return r.room_id == room_id; }),
    st.rejoins.end());
  settle_held(self, room_id, err);
  if (!holding(st))
    entered(self);
}

} // namespace

rejoin_job* find_rejoin(session_state& st, const std::string& room_id) {
  for (auto& r : st.rejoins)
    if (r.room_id == room_id)
      return &r;
  return nullptr;
}

void try_rejoin(session_pointer self, const std::string& room_id) {
  auto& st = self->state;
  auto* job = find_rejoin(st, room_id);
  if (!job)
    return;
  ++job->attempt;
  auto sink = st.link->room_sink(room_id);
  enter_request req{
    caf::actor_cast<session_actor>(self), job->sender, st.identity.member_id,
    static_cast<std::int64_t>(job->after), sink ? std::move(sink) : st.link};
  req.quiet = true; // the room announced this member when it first entered
  req.protocol = st.identity.protocol;
  req.blocked = st.identity.blocked;
  // A finite timeout: a rejoin is rare (a move), and the peer may be dead.
  self
    ->request(st.directory, st.env->rejoin_timeout, enter_atom_v, room_id,
              std::move(req))
    .then(
      [self, room_id](enter_reply& reply) {
        auto& st = self->state;
        if (!find_rejoin(st, room_id)) {
          self->send(reply.room, exit_atom_v,
                     caf::actor_cast<session_actor>(self));
          return;
        }
        tell_blocks(self, reply.room);
        st.rooms.set(room_id, std::move(reply.room));
        rejoined(self, room_id, caf::error{});
      },
      [self, room_id](caf::error& err) {
        auto& st = self->state;
        auto* job = find_rejoin(st, room_id);
        if (!job)
          return;
        auto why = to_errc(err);
        bool retry = job->attempt < st.env->rejoin_tries
                     && (why == errc::unavailable || why == errc::none
                         || why == errc::room_moved || why == errc::owner_lost);
        if (retry) {
          // 100 ms, 200 ms, 400 ms, ...: the node set settles meanwhile.
          auto pause
            = std::chrono::milliseconds{100} * (1 << (job->attempt - 1));
          self->delayed_send(self, pause, rejoin_atom_v, room_id);
          return;
        }
        spdlog::info(
          "session: room {} moved and could not be entered again: {}", room_id,
          self->system().render(err));
        st.link->notify(
          why == errc::none ? errc::unavailable : why,
          "room " + room_id
            + " moved to another node: ENTER it again with lastSeq "
            + std::to_string(job->after));
        rejoined(self, room_id, err);
      });
}

/// The room (`room_id`) moved to another node: enter it again where it is
/// now, from the last seq handed to this session, without a notice.
void on_moved(session_pointer self, const std::string& room_id,
              std::string sender, std::uint64_t after) {
  auto& st = self->state;
  auto* room = st.rooms.find(room_id);
  if (!room || room->address() != self->current_sender()) {
    // Left meanwhile, or an older instance of the room.
    settle_held(self, room_id,
                caf::make_error(errc::not_in_room, "not in room " + room_id));
    return;
  }
  st.rooms.erase(room_id);
  if (find_rejoin(st, room_id))
    return;
  st.rejoins.push_back({room_id, std::move(sender), after, 0});
  try_rejoin(self, room_id);
}

/// A publish refused because its room moved to another node (cluster)
/// goes again where the room lives now: at once when the session entered it
/// there already, else once it has (the room's `moved` follows its refusal;
/// meanwhile the publish is held). True when the publish stays pending.
/// Sent again: a refusal before a seq was given (`room_moved`), a request
/// that bounced off a room that ended on a move (never handled), and a
/// message whose owner node went away unanswered (`owner_lost`: it may be
/// stored) only when a clientMsgId lets the store keep it once.
bool resend_after_move(session_pointer self, std::uint64_t id,
                       const caf::error& err) {
  auto& st = self->state;
  auto* p = find_publish(st, id);
  if (!p || p->resends >= pending_publish::max_resends)
    return false;
  auto* room = st.rooms.find(p->to.room_id);
  bool rejoining = find_rejoin(st, p->to.room_id) != nullptr;
  bool moved_on = rejoining || !room || room->address() != p->sent_to;
  auto why = to_errc(err);
  bool resend = false;
  if (!is_h2h_error(err))
    resend = moved_on && (rejoining || room);
  else if (why == errc::room_moved)
    resend = true;
  else if (why == errc::owner_lost)
    resend = !p->req.client_msg_id.empty();
  if (!resend || (!room && !rejoining))
    return false; // not sent again, or the client left the room since
  ++p->resends;
  if (room && room->address() != p->sent_to) {
    send_publish(self, id, *room); // the room was entered again already
    return true;
  }
  p->held_for_move = true;
  return true;
}

/// Publishes held for `room_id`'s move go where the session is in the room
/// now, or are refused (`why_not`) when it is not; they stay while the room
/// is being entered again.
void settle_held(session_pointer self, const std::string& room_id,
                 const caf::error& why_not) {
  auto& st = self->state;
  if (find_rejoin(st, room_id))
    return;
  std::vector<std::uint64_t> held;
  for (auto& p : st.publishing)
    if (p.held_for_move && p.to.room_id == room_id)
      held.push_back(p.id);
  for (auto id : held) {
    // Looked up each time: a refusal below may leave the room.
    if (auto* room = st.rooms.find(room_id))
      send_publish(self, id, *room);
    else if (auto p = take_publish(st, id))
      complete(self, p->to, why_not);
  }
}

} // namespace h2h::session_detail
