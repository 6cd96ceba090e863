#include "actors/chat/ring_event.hpp"

#include <utility>

namespace h2h {

ring_event to_ring(room_event ev) {
  ring_event r;
  r.seq = ev.seq;
  r.sender_id = ev.sender_id;
  r.ts_ms = ev.ts_ms;
  r.kind = ev.kind;
  r.usual_notice = ev.kind != event_kind::message
                   && ev.text == notice_text(ev.kind, ev.sender);
  r.sender = std::move(ev.sender);
  if (!r.usual_notice)
    r.text = std::move(ev.text);
  r.client_msg_id = std::move(ev.client_msg_id);
  return r;
}

room_event from_ring(const ring_event& r, const std::string& room_id) {
  room_event ev;
  ev.room_id = room_id;
  ev.seq = r.seq;
  ev.kind = r.kind;
  ev.sender = r.sender;
  ev.sender_id = r.sender_id;
  ev.text = r.usual_notice ? notice_text(r.kind, r.sender) : r.text;
  ev.ts_ms = r.ts_ms;
  ev.client_msg_id = r.client_msg_id;
  return ev;
}

} // namespace h2h
