// What the session actor's two files share: its core (session_actor.cpp)
// and its side of rooms that move to another node (session_moves.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actors/chat/session_actor.hpp"

namespace h2h::session_detail {

// -- session_actor.cpp

/// Completes command `to`: acknowledged with its seq (0 for ENTER/EXIT) or
/// refused with the error for the client; each command exactly once.
void complete(session_pointer self, const reply_to& to,
              const caf::expected<std::uint64_t>& result);

/// Commands wait while an ENTER is in flight or a moved room is entered
/// again.
bool holding(const session_state& st);

/// What waited for an ENTER (or a rejoin) runs now, in order.
void entered(session_pointer self);

/// After an ENTER of `room` was answered: tells the room the member's
/// newest blocks when they changed during the session (the ENTER may have
/// carried an older list).
void tell_blocks(session_pointer self, const room_actor& room);

/// The publish `id`, still waiting for its answer (or null).
pending_publish* find_publish(session_state& st, std::uint64_t id);

/// Takes the publish `id` out of those waiting (none when answered).
std::optional<pending_publish> take_publish(session_state& st,
                                            std::uint64_t id);

/// Sends the waiting publish `id` to `room` (again).
void send_publish(session_pointer self, std::uint64_t id,
                  const room_actor& room);

// -- session_moves.cpp

/// A refused publish that a room's move caught stays pending and goes where
/// the room lives now; false when it is refused to the client instead.
bool resend_after_move(session_pointer self, std::uint64_t id,
                       const caf::error& err);

/// Publishes held for `room_id`'s move go where the session is in the room
/// now, or are refused (`why_not`) when it is not.
void settle_held(session_pointer self, const std::string& room_id,
                 const caf::error& why_not);

/// The move of `room_id` being followed (or null).
rejoin_job* find_rejoin(session_state& st, const std::string& room_id);

/// Enters the moved room `room_id` again (one try of its job).
void try_rejoin(session_pointer self, const std::string& room_id);

/// The room (`room_id`) moved to another node: enter it again where it is
/// now, from the last seq handed to this session, without a notice.
void on_moved(session_pointer self, const std::string& room_id,
              std::string sender, std::uint64_t after);

} // namespace h2h::session_detail
