// One event of a room's replay ring: what a replay needs, without what the
// room knows already (its id) or can derive (a notice's usual text).
#pragma once

#include <cstdint>
#include <string>

#include "persistence/record.hpp"

namespace h2h {

/// A room keeps its last `replay_ring` committed events as these (128
/// bytes each, against 160 for a `room_event`; an ENTER or EXIT notice
/// with its usual text allocates nothing beyond the sender's name).
struct ring_event {
  std::uint64_t seq = 0;
  std::int64_t sender_id = 0;
  std::int64_t ts_ms = 0;
  event_kind kind = event_kind::message;
  /// The text is `notice_text(kind, sender)` and is not kept.
  bool usual_notice = false;
  std::string sender;
  std::string text;
  std::string client_msg_id;
};

/// Keeps `ev` in the ring's form.
ring_event to_ring(room_event ev);

/// The event as it was committed in room `room_id`.
room_event from_ring(const ring_event& ev, const std::string& room_id);

} // namespace h2h
