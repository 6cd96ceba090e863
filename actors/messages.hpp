// Every message type, atom and actor interface of h2h, in one type-ID block.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/errors.hpp"

namespace h2h {

/// What a room event is.
enum class event_kind : std::uint8_t { message = 0, enter = 1, exit = 2 };

/// A room event (a chat message or an ENTER/EXIT notice) with its seq, as
/// every receiver sees it.
struct room_event {
  std::string room_id;
  std::uint64_t seq = 0;
  event_kind kind = event_kind::message;
  std::string sender;
  std::int64_t sender_id = 0;
  std::string text;
  /// Server time, milliseconds since the Unix epoch (UTC).
  std::int64_t ts_ms = 0;
  std::string client_msg_id;
  /// The raw-JSON wire form, encoded once for all receivers. Not serialized:
  /// a node that receives the event from another encodes it again.
  std::shared_ptr<const std::string> wire;
};

inline bool operator==(const room_event& x, const room_event& y) {
  return x.room_id == y.room_id && x.seq == y.seq && x.kind == y.kind
         && x.sender == y.sender && x.sender_id == y.sender_id
         && x.text == y.text && x.ts_ms == y.ts_ms
         && x.client_msg_id == y.client_msg_id;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_event& x) {
  return f(caf::meta::type_name("room_event"), x.room_id, x.seq, x.kind,
           x.sender, x.sender_id, x.text, x.ts_ms, x.client_msg_id);
}

/// Events of one room for one receiver, in seq order. A room sends the same
/// batch (one shared message) to all its receivers.
struct event_batch {
  std::vector<room_event> events;
};

inline bool operator==(const event_batch& x, const event_batch& y) {
  return x.events == y.events;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_batch& x) {
  return f(caf::meta::type_name("event_batch"), x.events);
}

/// What a client asked for in one frame, after decoding and validation.
enum class command_kind : std::uint8_t { enter = 0, message = 1, exit = 2 };

/// One decoded client frame.
struct client_command {
  command_kind kind = command_kind::message;
  std::string room_id;
  std::string sender;
  std::string text;
  std::string client_msg_id;
  /// Replay every message after this seq on ENTER; -1 = no replay.
  std::int64_t last_seq = -1;
};

inline bool operator==(const client_command& x, const client_command& y) {
  return x.kind == y.kind && x.room_id == y.room_id && x.sender == y.sender
         && x.text == y.text && x.client_msg_id == y.client_msg_id
         && x.last_seq == y.last_seq;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_command& x) {
  return f(caf::meta::type_name("client_command"), x.kind, x.room_id, x.sender,
           x.text, x.client_msg_id, x.last_seq);
}

/// A publish that the room committed: the seq it got and its server time.
struct publish_ack {
  std::uint64_t seq = 0;
  std::int64_t ts_ms = 0;
  /// True when the clientMsgId was seen before and nothing was broadcast.
  bool duplicate = false;
};

inline bool operator==(const publish_ack& x, const publish_ack& y) {
  return x.seq == y.seq && x.ts_ms == y.ts_ms && x.duplicate == y.duplicate;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, publish_ack& x) {
  return f(caf::meta::type_name("publish_ack"), x.seq, x.ts_ms, x.duplicate);
}

/// A message to publish into a room.
struct publish_request {
  std::string sender;
  std::int64_t sender_id = 0;
  std::string text;
  std::string client_msg_id;
};

inline bool operator==(const publish_request& x, const publish_request& y) {
  return x.sender == y.sender && x.sender_id == y.sender_id && x.text == y.text
         && x.client_msg_id == y.client_msg_id;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, publish_request& x) {
  return f(caf::meta::type_name("publish_request"), x.sender, x.sender_id,
           x.text, x.client_msg_id);
}

} // namespace h2h

// -- atoms
// ---------------------------------------------------------------------

CAF_BEGIN_TYPE_ID_BLOCK(h2h, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(h2h, (h2h::event_kind))
CAF_ADD_TYPE_ID(h2h, (h2h::room_event))
CAF_ADD_TYPE_ID(h2h, (h2h::event_batch))
CAF_ADD_TYPE_ID(h2h, (h2h::command_kind))
CAF_ADD_TYPE_ID(h2h, (h2h::client_command))
CAF_ADD_TYPE_ID(h2h, (h2h::publish_ack))
CAF_ADD_TYPE_ID(h2h, (h2h::publish_request))
CAF_ADD_TYPE_ID(h2h, (h2h::errc))

CAF_ADD_ATOM(h2h, h2h, enter_atom, "enter")
CAF_ADD_ATOM(h2h, h2h, exit_atom, "exit")
CAF_ADD_ATOM(h2h, h2h, deliver_atom, "deliver")
CAF_ADD_ATOM(h2h, h2h, disconn_atom, "disconn")
CAF_ADD_ATOM(h2h, h2h, idle_atom, "idle")
CAF_ADD_ATOM(h2h, h2h, idle_chk_atom, "idlechk")
CAF_ADD_ATOM(h2h, h2h, stop_atom, "stop")
CAF_ADD_ATOM(h2h, h2h, info_atom, "info")

CAF_END_TYPE_ID_BLOCK(h2h)

CAF_ERROR_CODE_ENUM(h2h::errc, "h2h")

namespace h2h {

/// The error category atom of `errc` inside a `caf::error`.
inline bool is_h2h_error(const caf::error& e) {
  return e.category() == caf::atom("h2h");
}

/// Maps any error to the client-visible `errc` (`unavailable` when it did not
/// come from h2h, e.g. a dead room or a timed-out request).
inline errc to_errc(const caf::error& e) {
  if (!e)
    return errc::none;
  if (is_h2h_error(e))
    return static_cast<errc>(e.code());
  return errc::unavailable;
}

} // namespace h2h
