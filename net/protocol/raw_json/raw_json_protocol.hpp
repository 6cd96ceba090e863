// The raw JSON protocol of /message (DESIGN.md §2.1) as a wire protocol:
// the frames json_codec decodes and encodes, byte for byte.
#pragma once

#include "net/protocol/raw_json/json_codec.hpp"
#include "net/protocol/wire_protocol.hpp"

namespace h2h::net {

/// Raw JSON: an ACK only for a MESSAGE with a clientMsgId; an ERROR echoes
/// the clientMsgId of a refused MESSAGE or EXIT (never of an ENTER); events
/// are encoded once per event for every raw-JSON receiver.
class raw_json_protocol final : public wire_protocol {
public:
  /// `limits` must outlive the protocol (the server's settings do).
  explicit raw_json_protocol(const codec_limits& limits)
    : limits_(limits) {
  }

  /// The cache slot of raw JSON in every chat_event.
  static std::size_t slot();

  decoded decode(std::string_view text) override;
  wire_message encode_event(const event_ptr& ev) override;
  wire_bytes encode_ack(const reply_to& to, std::uint64_t seq) override;
  wire_bytes encode_refusal(const reply_to& to, errc code,
                            std::string_view text) override;
  wire_bytes encode_notice(errc code, std::string_view text) override;
  wire_bytes encode_end(end_reason why) override;

private:
  const codec_limits& limits_;
};

} // namespace h2h::net
