// What an ENTER costs a room: the room's start-up loads it, or creates it
// when the directory allows; ENTERs a room cannot take are refused early.
#pragma once

#include <functional>
#include <optional>

#include "actors/chat/room_actor.hpp"

namespace h2h {

/// Loads the room's state before the room handles anything else. A room
/// nobody created is created (public, owned by `creator`'s member) only when
/// the directory allows it (rooms.create_on_enter, the creator's hourly
/// limit); otherwise the room refuses every ENTER with the directory's error
/// and stops as soon as no ENTER is on its way to it. `apply` receives the
/// loaded state.
void load_or_create(room_pointer self, room_creator creator,
                    std::function<void(room_snapshot&)> apply);

/// The error for an ENTER that the room refuses before anything else: the
/// room may not be created, or the ENTER would add a member (and a notice)
/// while the persistence actor refuses the room's appends because its queue
/// is full (room_state::store_full; CHAT_006, retry). Nullopt admits it.
std::optional<caf::error> refuse_enter(room_pointer self,
                                       const enter_request& req);

/// The error for a post (an HTTP send, forwarded by the directory like an
/// ENTER and counted as one): the room does not exist (CHAT_001), or it is
/// private and the sender is not a member (CHAT_002). A public room admits
/// any authenticated sender and records them as a member, as an ENTER does.
/// Nullopt admits it.
std::optional<caf::error> refuse_post(room_pointer self,
                                      const publish_request& req);

} // namespace h2h
