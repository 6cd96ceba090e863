// The room's part in a cluster: a relay mirrors a room owned by another node
// for this node's sessions; an owner hands its room over when the node set
// changes. Private to the room's files.
#pragma once

#include <cstdint>
#include <vector>

#include "actors/chat/room_actor.hpp"
#include "actors/chat/room_creation.hpp"

namespace h2h::room_cluster {

// -- relays
// ---------------------------------------------------------------------

/// Subscribes the relay to the owner's stream (through the owner node's
/// directory) before the relay handles anything else. When that fails, the
/// relay refuses every ENTER (CHAT_006, retry) and stops.
void subscribe(room_pointer self, room_creator creator);

/// A session of this node enters: first at the owner (admission, ENTER
/// notice), then here (replay from the ring or the store, then live events).
caf::result<enter_reply> relay_enter(room_pointer self, enter_request& req);

/// A message (or HTTP send, `post`) of this node for the owner; the answer
/// comes back through the relay, which refuses it if the owner goes away.
caf::result<publish_ack> relay_publish(room_pointer self, bool post,
                                       publish_request& req);

/// Committed events from the owner, in seq order: the local fan-out.
void relay_events(room_pointer self, event_batch& batch);

/// The owner dropped this relay: the room was deleted (its sessions hear
/// CHAT_001) or moved (they enter again where it lives now).
void relay_dropped(room_pointer self, const caf::error& why);

/// The owner dropped one member (e.g. removed from a private room).
void relay_drop_member(room_pointer self, const session_actor& who,
                       const caf::error& why);

/// The owner's room (or its node) is gone: the members enter again.
void owner_lost(room_pointer self);

// -- owners
// ---------------------------------------------------------------------

/// Member ids with a live session in the room, sorted, each once.
std::vector<std::int64_t> presence(const room_state& st);

/// The room's owner node changed. A relay sends its members to enter again;
/// an owner refuses new work, commits what waits, then does the same.
void move(room_pointer self);

/// The owner's last commit before the move is in: members go, the room ends.
void finish_move(room_pointer self);

} // namespace h2h::room_cluster
