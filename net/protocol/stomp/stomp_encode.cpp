// STOMP at /ws: what the server sends — MESSAGE frames built from one
// shared encoding per event, RECEIPT, ERROR and heart-beats.
#include "net/protocol/stomp/stomp_protocol.hpp"

#include <stdexcept>

#include "net/protocol/utf8.hpp"

namespace h2h::net {

namespace {

/// The MESSAGE frame of `ev` after its subscription header: the same bytes
/// for every STOMP subscriber of the room (room ids need no escaping).
std::string message_tail(const room_event& ev) {
  std::string body;
  body.reserve(ev.text.size() + ev.sender.size() + ev.room_id.size() + 128);
  body += "{\"type\":";
  append_json_string(body, ev.kind == event_kind::message
                             ? std::string_view{"TALK"}
                             : kind_name(ev.kind));
  body += ",\"roomId\":";
  append_json_string(body, ev.room_id);
  body += ",\"senderId\":" + std::to_string(ev.sender_id);
  body += ",\"sender\":";
  append_json_string(body, ev.sender);
  body += ",\"message\":";
  append_json_string(body, ev.text);
  body += ",\"createdDate\":";
  append_json_string(body, format_timestamp(ev.ts_ms));
  body += ",\"seq\":" + std::to_string(ev.seq) + "}";
  std::string out;
  out.reserve(body.size() + 2 * ev.room_id.size() + 128);
  out += "destination:/subscribe/room/";
  out += ev.room_id;
  out += "\nmessage-id:";
  out += ev.room_id;
  out += ':';
  out += std::to_string(ev.seq);
  out += "\ncontent-type:application/json\ncontent-length:";
  out += std::to_string(body.size());
  out += "\n\n";
  out += body;
  out.push_back('\0');
  return out;
}

/// Text safe for a header of any version (1.0 has no escapes): one line
/// of at most 256 bytes of valid UTF-8.
std::string one_line(std::string_view text) {
  auto s = valid_utf8(text) ? std::string{text} : utf8_repair(text);
  for (auto& c : s)
    if (c == '\n' || c == '\r')
      c = ' ';
  s.resize(utf8_cut(s, 256));
  return s;
}

} // namespace

std::size_t stomp_protocol::slot() {
  static const std::size_t mine = [] {
    auto s = chat_event::allocate_slot();
    if (s >= chat_event::max_encodings)
      throw std::logic_error("chat_event: no cache slot left for STOMP");
    return s;
  }();
  return mine;
}

wire_message stomp_protocol::encode_event(const event_ptr& ev) {
  // Without a binding (a room entered before it was bound, tests): the
  // subscription is looked up.
  subscription_ptr sub;
  {
    std::lock_guard<std::mutex> guard{subs_mtx_};
    const auto& room = ev->data().room_id;
    for (const auto& s : subs_)
      if (s->room_id == room) {
        sub = s;
        break;
      }
  }
  if (!sub)
    return nullptr; // unsubscribed while the event was on its way
  return encode_bound_event(ev, *sub);
}

std::shared_ptr<const room_binding>
stomp_protocol::bind_room(const std::string& room_id) {
  std::lock_guard<std::mutex> guard{subs_mtx_};
  for (const auto& s : subs_)
    if (s->room_id == room_id)
      return s;
  return nullptr;
}

wire_message stomp_protocol::encode_bound_event(const event_ptr& ev,
                                                const room_binding& bound) {
  // The head is the subscription's, made at SUBSCRIBE; the rest is shared
  // and made once per event. Neither is copied: the transport gathers
  // both into one frame. No lock: the binding is the room's own.
  const auto& sub = static_cast<const subscription&>(bound);
  if (!sub.open.load(std::memory_order_acquire))
    return nullptr; // unsubscribed while the event was on its way
  return {sub.head, ev->encoded(ev, slot(), message_tail)};
}

std::string stomp_protocol::receipt_frame(std::string_view id) const {
  std::string out = "RECEIPT\n";
  stomp::append_header(out, "receipt-id", id, version());
  out += "\n";
  out.push_back('\0');
  return out;
}

std::string stomp_protocol::error_frame(errc code, std::string_view text,
                                        std::string_view receipt) const {
  auto v = version();
  auto line = one_line(text);
  std::string body = std::string{describe(code).code} + " " + line;
  std::string out = "ERROR\n";
  stomp::append_header(out, "message", line, v);
  stomp::append_header(out, "code", describe(code).code, v);
  if (!receipt.empty())
    stomp::append_header(out, "receipt-id", receipt, v);
  out += "content-type:text/plain\ncontent-length:";
  out += std::to_string(body.size());
  out += "\n\n";
  out += body;
  out.push_back('\0');
  return out;
}

void stomp_protocol::fail(std::vector<decoded>& out, errc code,
                          std::string_view text, const std::string* receipt) {
  phase_ = phase::failed;
  held_.clear();
  out.push_back(
    protocol_error{share_bytes(error_frame(
                     code, text, receipt ? *receipt : std::string_view{})),
                   true});
}

std::string stomp_protocol::goodbye_if_done(int left) {
  if (left != 0 || !disconnecting_.load(std::memory_order_acquire)
      || goodbye_sent_.exchange(true, std::memory_order_acq_rel)
      || disconnect_receipt_.empty())
    return {};
  return receipt_frame(disconnect_receipt_);
}

wire_bytes stomp_protocol::encode_ack(const reply_to& to, std::uint64_t) {
  auto left = outstanding_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  std::string out;
  if (!to.receipt.empty())
    out = receipt_frame(to.receipt);
  out += goodbye_if_done(left);
  return out.empty() ? nullptr : share_bytes(std::move(out));
}

wire_bytes stomp_protocol::encode_refusal(const reply_to& to, errc code,
                                          std::string_view text) {
  outstanding_.fetch_sub(1, std::memory_order_acq_rel);
  if (to.kind == command_kind::enter)
    drop_room(to.room_id); // the room did not take the subscription
  // The session ends after an ERROR: no goodbye receipt follows it.
  return share_bytes(error_frame(code, text, to.receipt));
}

wire_bytes stomp_protocol::encode_notice(errc code, std::string_view text) {
  return share_bytes(error_frame(code, text, {}));
}

wire_bytes stomp_protocol::encode_heartbeat() {
  static const auto eol = std::make_shared<const std::string>("\n");
  return eol;
}

wire_bytes stomp_protocol::encode_end(end_reason why) {
  switch (why) {
    case end_reason::going_away:
      return encode_notice(errc::unavailable, "server shutting down");
    case end_reason::token_expired:
      return encode_notice(errc::expired_token, "the access token has expired");
    case end_reason::session_ended:
      return encode_notice(errc::invalid_token, "the session has ended");
    case end_reason::internal_error:
      return encode_notice(errc::internal, "the session ended");
    case end_reason::kicked:
      return encode_notice(errc::forbidden, "kicked by an operator");
    case end_reason::normal:        // DISCONNECT: its RECEIPT said it
    case end_reason::slow_consumer: // its queue is full: the close says it
    case end_reason::refused:       // the refusal was an ERROR already
      break;
  }
  return nullptr;
}

} // namespace h2h::net
