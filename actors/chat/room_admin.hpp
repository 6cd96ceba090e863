// What a room tells and lets the admin actor do (issue 16): its state as an
// admin_room, a system message, dropping a member's sessions, closing.
// Private to the room's files.
#pragma once

#include <cstdint>

#include "actors/chat/room_actor.hpp"

namespace h2h::room_admin {

/// Notes a committed event (rate, last activity); called by the fan-out.
void note_event(room_state& st, const room_event& ev);

/// The room as its state says now (node and owner are left for the
/// directory; relaying nodes appear as "relay:<caf node>" for it to name).
admin_room describe(room_pointer self);

/// A system message (broadcast, sender "system", id 0): no membership check,
/// stored and delivered like any other. A room nobody created refuses it.
caf::result<publish_ack> broadcast(room_pointer self, publish_request& req);

/// Drops every session of `member` (an operator's kick): how many.
std::uint64_t kick(room_pointer self, std::int64_t member);

/// Drops every session with a notice, refuses what waits, and ends the room
/// (an operator's close): how many sessions were dropped.
std::uint64_t close(room_pointer self);

} // namespace h2h::room_admin
