// What a protocol hands a transport for the client: shared bytes, and for
// an event optionally a short part of the connection's own in front.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

namespace h2h::net {

/// Bytes for the client; null when the protocol sends nothing.
using wire_bytes = std::shared_ptr<const std::string>;

/// `s` as shared bytes, for a reply made once for one connection.
inline wire_bytes share_bytes(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

/// One message for the client: `body`, shared by every receiver of an
/// event, behind `head`, a short prefix of this connection's own (STOMP's
/// MESSAGE command and subscription header) made once per subscription.
/// The transport sends both as one message (one WebSocket frame), gathered
/// by the write: a delivery copies and allocates nothing.
struct wire_message {
  wire_bytes head; ///< null: none
  wire_bytes body; ///< null: nothing to send

  wire_message() = default;
  wire_message(std::nullptr_t) {
  }
  /// A lone body converts: most messages have no head.
  wire_message(wire_bytes b)
    : body(std::move(b)) {
  }
  wire_message(wire_bytes h, wire_bytes b)
    : head(std::move(h))
    , body(std::move(b)) {
  }

  explicit operator bool() const {
    return body != nullptr;
  }

  std::size_t size() const {
    return (head ? head->size() : 0) + (body ? body->size() : 0);
  }

  /// Both parts as one string (tests, logs).
  std::string joined() const {
    std::string out;
    if (head)
      out = *head;
    if (body)
      out += *body;
    return out;
  }
};

} // namespace h2h::net
