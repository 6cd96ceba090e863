// The pure interface of a wire protocol: text in, commands out; events,
// completions, notices and the end of a session in, bytes out. No sockets,
// no actors: one object per connection, fuzzable on its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/chat/client_link.hpp"
#include "actors/chat/session_actor.hpp"
#include "net/protocol/wire_message.hpp"

namespace h2h::net {

/// What a protocol binds to one room of its connection (STOMP: the room's
/// subscription), made once at ENTER so that each event of the room is
/// encoded without a lookup.
struct room_binding {
  virtual ~room_binding() = default;
};

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

/// A frame that authenticates the connection inside its stream (STOMP's
/// CONNECT): the link checks `token` (empty: none) with its entry's
/// connect authenticator, then calls accept_connect() or sends a notice
/// and closes.
struct connect_request {
  std::string token;
};

/// What one frame of the client became.
using decoded = std::variant<client_command, protocol_reply, protocol_error,
                             connect_request>;

/// Heart-beats negotiated in the stream (STOMP); zero: none that way.
struct heartbeat_plan {
  /// The server sends something at least this often.
  std::chrono::milliseconds send{0};
  /// The client must: silent for 1.5x this, it is closed.
  std::chrono::milliseconds receive{0};
};

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
  virtual wire_message encode_event(const event_ptr& ev) = 0;

  /// The binding of room `room_id` for its events; null when the protocol
  /// binds nothing (then encode_event(ev) serves). Any thread.
  virtual std::shared_ptr<const room_binding>
  bind_room(const std::string& room_id) {
    (void)room_id;
    return nullptr;
  }

  /// encode_event() for an event of the room `bound` was made for by
  /// bind_room(); null once the binding ended (STOMP: unsubscribed).
  virtual wire_message encode_bound_event(const event_ptr& ev,
                                          const room_binding& bound) {
    (void)bound;
    return encode_event(ev);
  }

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

  // -- protocols that frame their own stream (STOMP); defaults fit raw JSON

  /// Decodes one text message that may hold several frames, or part of
  /// one, appending each result in order.
  virtual void decode_all(std::string_view text, std::vector<decoded>& out) {
    out.push_back(decode(text));
  }

  /// The WebSocket subprotocol chosen at the upgrade (empty: none); called
  /// once before the first decode.
  virtual void negotiated(std::string_view subprotocol) {
    (void)subprotocol;
  }

  /// The connect_request was accepted for `who`: the bytes that say so
  /// (CONNECTED); frames the protocol held back meanwhile are decoded into
  /// `held`. Called once, under the same lock as decode_all().
  virtual wire_bytes accept_connect(const session_identity& who,
                                    std::vector<decoded>& held) {
    (void)who;
    (void)held;
    return nullptr;
  }

  /// Heart-beats agreed by accept_connect().
  virtual heartbeat_plan heartbeats() const {
    return {};
  }

  /// One heart-beat for the client.
  virtual wire_bytes encode_heartbeat() {
    return nullptr;
  }

  /// True when every refusal and notice ends the session after its bytes
  /// (STOMP 1.2: the server closes after an ERROR frame).
  virtual bool ends_after_error() const {
    return false;
  }

  /// True once the client said goodbye and every command is answered: the
  /// session ends normally. Thread-safe.
  virtual bool finished() const {
    return false;
  }
};

} // namespace h2h::net
