// The pure interface of a wire protocol: text in, commands out; events,
// completions, notices and the end of a session in, bytes out. No sockets,
// no actors: one object per connection, fuzzable on its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "actors/chat/client_link.hpp"

namespace h2h::net {

/// Bytes for the client; null when the protocol sends nothing.
using wire_bytes = std::shared_ptr<const std::string>;

/// A reply of the protocol itself to a frame that reaches no session (e.g.
/// a STOMP heart-beat answer); the connection stays open.
struct protocol_reply {
  wire_bytes bytes;
};

/// A frame the protocol refused: `bytes` tell the client; `fatal` ends the
/// session after them.
struct protocol_error {
  wire_bytes bytes;
  bool fatal = false;
};

/// What one text frame of the client became.
using decoded = std::variant<client_command, protocol_reply, protocol_error>;

/// One object per connection. decode() runs on the connection's I/O thread,
/// the encode_*() functions on whichever thread tells the link something
/// (rooms, the session): concurrently. Raw JSON keeps no state; a protocol
/// that does (STOMP subscriptions) guards it itself.
class wire_protocol {
public:
  virtual ~wire_protocol() = default;

  /// Decodes one text message of the client. Never throws.
  virtual decoded decode(std::string_view text) = 0;

  /// The bytes of a committed event, shared by every receiver of this
  /// protocol (the event's cache slot of the protocol).
  virtual wire_bytes encode_event(const event_ptr& ev) = 0;

  /// The answer to a command that succeeded; null when the protocol sends
  /// none.
  virtual wire_bytes encode_ack(const reply_to& to, std::uint64_t seq) = 0;

  /// The answer to a refused command.
  virtual wire_bytes encode_refusal(const reply_to& to, errc code,
                                    std::string_view text)
    = 0;

  /// A notice that answers no command.
  virtual wire_bytes encode_notice(errc code, std::string_view text) = 0;

  /// What the client hears before the transport ends the session; null
  /// when the transport's own close says it all.
  virtual wire_bytes encode_end(end_reason why) = 0;

  /// True once the session cannot go on in this protocol (an SSE stream
  /// whose one room refused or dropped it): after a refusal or a notice the
  /// link then ends the transport. Thread-safe.
  virtual bool ended() const {
    return false;
  }
};

} // namespace h2h::net
