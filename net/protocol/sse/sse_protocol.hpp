// Server-Sent Events as a wire protocol: a stream is one room, opened by one
// ENTER (with the client's Last-Event-ID); events go out as SSE events.
#pragma once

#include <atomic>

#include "net/protocol/sse/sse_codec.hpp"
#include "net/protocol/wire_protocol.hpp"

namespace h2h::net {

/// The client of a stream sends nothing: the first decode() (the transport
/// calls it once, when the stream opens) is the ENTER of the stream's room,
/// with its resume point; any other is a violation. An ENTER refused later
/// (a race with a deletion, the store busy) or the room dropping the member
/// ends the stream after an `event: error`.
class sse_protocol final : public wire_protocol {
public:
  explicit sse_protocol(sse_open open)
    : open_(std::move(open)) {
  }

  /// The cache slot of SSE in every chat_event.
  static std::size_t slot();

  decoded decode(std::string_view text) override;
  wire_message encode_event(const event_ptr& ev) override;
  wire_bytes encode_ack(const reply_to& to, std::uint64_t seq) override;
  wire_bytes encode_refusal(const reply_to& to, errc code,
                            std::string_view text) override;
  wire_bytes encode_notice(errc code, std::string_view text) override;
  wire_bytes encode_end(end_reason why) override;
  bool ended() const override {
    return ended_.load(std::memory_order_acquire);
  }

private:
  sse_open open_;
  /// decode() runs on the I/O thread only.
  bool opened_ = false;
  std::atomic<bool> ended_{false};
};

} // namespace h2h::net
