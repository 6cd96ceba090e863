// The room actor's ENTER path (admission, replay, refusal), shared by
// room_actor.cpp and room_replay.cpp only.
#pragma once

#include <string>

#include "actors/chat/room_actor.hpp"

namespace h2h::room_detail {

// -- room_replay.cpp ----------------------------------------------------------

/// Handles an ENTER. A new member gets the committed events after its
/// lastSeq, then live ones, each once; it is in the room (ENTER notice, live
/// events) only when that replay is complete, and only then is the ENTER
/// answered. A replay that fails or misses its deadline refuses the ENTER
/// (CHAT_006) and leaves no trace of the member.
/// With `given`, an answer that has to wait goes to that promise (a relay's
/// ENTER, answered after the owner's); the caller delivers an immediate one.
using enter_promise = caf::typed_response_promise<enter_reply>;
caf::result<enter_reply> enter(room_pointer self, enter_request& req,
                               enter_promise* given = nullptr);

/// Keeps a live event for a member whose replay is still read (bounded by
/// room_env::replay_hold_bytes; beyond, the replay reads it later).
void hold(room_state& st, const room_member& m, const event_ptr& ev);

/// Ends the ENTER of a member that is not in yet (`who` left, or the room
/// refuses it): answers the ENTER with `why`, sends no notice.
void drop_entering(room_pointer self, const caf::actor_addr& who,
                   const caf::error& why);

/// Refuses every ENTER whose replay is still read (the room stops).
void drop_all_entering(room_pointer self, const caf::error& why);

/// Refuses the replays past their deadline; re-arms the one timer.
void on_replay_tick(room_pointer self);

// -- room_actor.cpp -----------------------------------------------------------

/// Submits an ENTER or EXIT notice (seen once it is committed).
void announce(room_pointer self, event_kind kind, const std::string& sender,
              std::int64_t sender_id);

/// Arms the idle timer when the room has nobody and nothing left.
void settle(room_pointer self);

} // namespace h2h::room_detail
