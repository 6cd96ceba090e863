// The raw JSON protocol of /message (DESIGN.md §2.1) as a wire protocol.
#include "net/protocol/raw_json/raw_json_protocol.hpp"

#include <stdexcept>

namespace h2h::net {

std::size_t raw_json_protocol::slot() {
  static const std::size_t mine = [] {
    auto s = chat_event::allocate_slot();
    if (s >= chat_event::max_encodings)
      throw std::logic_error("chat_event: no cache slot left for raw JSON");
    return s;
  }();
  return mine;
}

decoded raw_json_protocol::decode(std::string_view text) {
  auto result = decode_client_frame(text, limits_);
  if (auto* cmd = std::get_if<client_command>(&result))
    return std::move(*cmd);
  auto& err = std::get<frame_error>(result);
  // A refused frame leaves the connection open.
  return protocol_error{
    share_bytes(encode_error(err.code, err.message, err.client_msg_id)), false};
}

wire_message raw_json_protocol::encode_event(const event_ptr& ev) {
  return ev->encoded(
    ev, slot(), [](const room_event& data) { return net::encode_event(data); });
}

wire_bytes raw_json_protocol::encode_ack(const reply_to& to,
                                         std::uint64_t seq) {
  // ENTER and EXIT are answered by their notices; a MESSAGE without a
  // clientMsgId by its event.
  if (to.kind != command_kind::message || to.client_msg_id.empty())
    return nullptr;
  return share_bytes(net::encode_ack(to.room_id, to.client_msg_id, seq));
}

wire_bytes raw_json_protocol::encode_refusal(const reply_to& to, errc code,
                                             std::string_view text) {
  std::string_view id;
  if (to.kind != command_kind::enter)
    id = to.client_msg_id;
  return share_bytes(encode_error(code, text, id));
}

wire_bytes raw_json_protocol::encode_notice(errc code, std::string_view text) {
  return share_bytes(encode_error(code, text, {}));
}

wire_bytes raw_json_protocol::encode_end(end_reason why) {
  // The client learns why before the close (a close reason is easy to miss).
  switch (why) {
    case end_reason::token_expired:
      return share_bytes(
        encode_error(errc::expired_token, "the access token has expired", {}));
    case end_reason::session_ended:
      return share_bytes(
        encode_error(errc::invalid_token, "the session has ended", {}));
    case end_reason::kicked:
      return share_bytes(
        encode_error(errc::forbidden, "kicked by an operator", {}));
    case end_reason::normal:
    case end_reason::going_away:
    case end_reason::slow_consumer:
    case end_reason::refused: // the refusal was sent as a notice already
    case end_reason::internal_error:
      break;
  }
  return nullptr;
}

} // namespace h2h::net
