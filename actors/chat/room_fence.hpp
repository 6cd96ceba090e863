// The room's defences around the store's per-event outcomes: the seq reload
// after a conflict, the refusal of what waits when a room is deleted, and
// the behaviour of a room whose id was deleted. Private to the room's files.
#pragma once

#include <cstdint>

#include "actors/chat/room_actor.hpp"

namespace h2h::room_internal {

/// Events that may wait for a seq reload; beyond, publishes get CHAT_006.
constexpr std::size_t unsent_max = 1024;

// -- provided by room_actor.cpp -----------------------------------------------

/// Sends one event to the persistence actor; its outcome comes back to the
/// room (on_committed / on_commit_failed).
void send_append(room_pointer self, room_event ev);

/// Arms the idle timer when the room has no members and nothing pending.
void idle_if_unused(room_pointer self);

/// Ends the room as a deletion does: sessions are told (CHAT_001), what
/// waits is refused.
void end_deleted(room_pointer self);

/// Asks the directory whether the room may stop (idle protocol).
void check_idle(room_pointer self, std::uint64_t gen);

/// Hands a committed event to every member (the local fan-out).
void fan_out_event(room_pointer self, event_ptr ev);

/// A member leaves (EXIT notice unless it is nobody's or a relay's).
void drop_member(room_pointer self, const caf::actor_addr& who);

/// Drops every session of `member` (0: every session) from the room, each
/// told `why` (removed_atom); how many.
std::size_t drop_sessions_of(room_pointer self, std::int64_t member,
                             const caf::error& why);

/// A message for the room (dedupe, seq, commit, fan-out), no admission.
caf::result<publish_ack> publish(room_pointer self, publish_request& req);

// -- provided by room_fence.cpp -----------------------------------------------

/// A seq of this room is taken by another writer (or an ENTER knows a seq
/// the room does not): the room catches up with the store. Once the store
/// answered every append already sent, it asks for the room's last seq and
/// reads every event after its committed seq, and hands them (the other
/// writer's and its own, which wait meanwhile) to its members in seq order.
/// Events submitted meanwhile wait unsent and get seqs above everything used
/// once it is done. Nothing is reused or skipped silently: what cannot wait
/// is refused (CHAT_006).
void reload_seq(room_pointer self);

/// The store answered one append: a catch-up waiting for it may go on.
void appended(room_pointer self);

/// Keeps an event whose seq another writer took, to send it again with a
/// new seq once the room caught up; false when it may not (the room moves,
/// or it lost its seq too often): its waiters are then refused.
bool retry_conflicted(room_pointer self, uncommitted& u);

/// An ENTER whose lastSeq is above the room's committed seq: another
/// writer (an owner before a move) committed more. It is answered after a
/// catch-up, so that the member is handed each of those seqs exactly once.
caf::result<enter_reply> defer_enter(room_pointer self, enter_request& req);

/// Answers every deferred ENTER with `err` (the room moves or stops).
void refuse_deferred(room_pointer self, const caf::error& err);

/// Answers every waiter of every uncommitted event with `err` and forgets
/// the events (the room is going away).
void refuse_pending(room_pointer self, const caf::error& err);

/// Makes the room refuse everything with CHAT_001: its id was deleted and is
/// never used again. It stops through the directory's idle protocol, so no
/// ENTER forwarded to it goes unanswered.
void become_deleted(room_pointer self);

/// The refusal of new work by a room that moves to another node (cluster):
/// nothing was given a seq, so the session sends it again where the room
/// lives now.
caf::error moving_error(const room_state& st);

} // namespace h2h::room_internal
