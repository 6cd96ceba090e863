// Server-Sent Events as a wire protocol: one room per stream.
#include "net/protocol/sse/sse_protocol.hpp"

#include <stdexcept>

namespace h2h::net {

std::size_t sse_protocol::slot() {
  static const std::size_t mine = [] {
    auto s = chat_event::allocate_slot();
    if (s >= chat_event::max_encodings)
      throw std::logic_error("chat_event: no cache slot left for SSE");
    return s;
  }();
  return mine;
}

decoded sse_protocol::decode(std::string_view) {
  if (opened_)
    return protocol_error{nullptr, true}; // a stream reads no commands
  opened_ = true;
  client_command enter;
  enter.kind = command_kind::enter;
  enter.room_id = open_.room_id;
  enter.sender = open_.sender;
  enter.last_seq = open_.last_seq;
  return enter;
}

wire_message sse_protocol::encode_event(const event_ptr& ev) {
  return ev->encoded(
    ev, slot(), [](const room_event& data) { return encode_sse_event(data); });
}

wire_bytes sse_protocol::encode_ack(const reply_to&, std::uint64_t) {
  // The stream's head said it all; its events follow.
  return nullptr;
}

wire_bytes sse_protocol::encode_refusal(const reply_to&, errc code,
                                        std::string_view text) {
  // The one command is the ENTER: without its room a stream has no use.
  ended_.store(true, std::memory_order_release);
  return share_bytes(encode_sse_error(code, text));
}

wire_bytes sse_protocol::encode_notice(errc code, std::string_view text) {
  // The room dropped the member (deleted, or no longer a member).
  ended_.store(true, std::memory_order_release);
  return share_bytes(encode_sse_error(code, text));
}

wire_bytes sse_protocol::encode_end(end_reason why) {
  switch (why) {
    case end_reason::token_expired:
      return share_bytes(
        encode_sse_error(errc::expired_token, "the access token has expired"));
    case end_reason::session_ended:
      return share_bytes(
        encode_sse_error(errc::invalid_token, "the session has ended"));
    case end_reason::going_away:
      return share_bytes(": server shutting down\n\n");
    case end_reason::internal_error:
      return share_bytes(
        encode_sse_error(errc::unavailable, "session ended, retry"));
    case end_reason::kicked:
      return share_bytes(
        encode_sse_error(errc::forbidden, "kicked by an operator"));
    case end_reason::normal:
    case end_reason::slow_consumer: // what it did not read is dropped
    case end_reason::refused:
      break;
  }
  return nullptr;
}

} // namespace h2h::net
