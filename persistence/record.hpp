// The records h2h stores: room events (messages and ENTER/EXIT notices).
// Plain structs, shared by the stores and the actors.
#pragma once

#include <cstdint>
#include <string>

namespace h2h {

/// The sender history shows for the events of a deleted account (with
/// sender id 0, no clientMsgId).
inline constexpr const char* deleted_member_name = "deleted member";

/// What a room event is. Values are stored: never renumber.
enum class event_kind : std::uint8_t { message = 0, enter = 1, exit = 2 };

/// A room event (a chat message or an ENTER/EXIT notice) with its seq, as
/// every receiver sees it and as history keeps it.
struct room_event {
  std::string room_id;
  std::uint64_t seq = 0;
  event_kind kind = event_kind::message;
  std::string sender;
  std::int64_t sender_id = 0;
  std::string text;
  /// Server time, milliseconds since the Unix epoch (UTC).
  std::int64_t ts_ms = 0;
  /// Empty when the client gave none.
  std::string client_msg_id;
};

/// The text of an ENTER or EXIT notice of `sender`.
inline std::string notice_text(event_kind kind, const std::string& sender) {
  return sender + (kind == event_kind::enter ? " entered." : " left.");
}

inline bool operator==(const room_event& x, const room_event& y) {
  return x.room_id == y.room_id && x.seq == y.seq && x.kind == y.kind
         && x.sender == y.sender && x.sender_id == y.sender_id
         && x.text == y.text && x.ts_ms == y.ts_ms
         && x.client_msg_id == y.client_msg_id;
}

/// What became of one event of a batch. Values cross the wire: never
/// renumber.
enum class append_status : std::uint8_t {
  /// Stored (now or by an earlier attempt of the same batch).
  committed = 0,
  /// Its clientMsgId was stored already for the same sender (the member id;
  /// the name only when there is none): the outcome names the original.
  duplicate = 1,
  /// Its seq holds another message (a stale writer): not stored.
  conflict = 2,
  /// Its room was deleted: not stored, and never will be.
  room_deleted = 3,
  /// A value the store cannot hold (e.g. a sender over 64 characters): not
  /// stored; a retry cannot help.
  unstorable = 4,
};

/// The outcome of storing one event.
struct append_outcome {
  /// The seq under which the message is in history: its own, or for a
  /// repeated clientMsgId the seq of the original.
  std::uint64_t seq = 0;
  std::int64_t ts_ms = 0;
  append_status status = append_status::committed;

  /// True when the event is in history (as itself or as the original).
  bool stored() const {
    return status == append_status::committed
           || status == append_status::duplicate;
  }
};

} // namespace h2h
