// What a link needs of a transport (WebSocket, an SSE stream), and what a
// transport hands its user: the seam between bytes and protocol.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "actors/chat/client_link.hpp"
#include "net/protocol/wire_message.hpp"

namespace h2h::net {

/// One client connection's transport. Every member is thread-safe and
/// never blocks.
class transport {
public:
  virtual ~transport() = default;

  /// Queues `n` messages for the client, in order, under one lock. Past the
  /// outbound byte limit the transport ends the session (slow consumer).
  virtual void send(const wire_message* msgs, std::size_t n) = 0;

  void send(wire_message msg) {
    send(&msg, 1);
  }

  /// send() for messages in no hurry (other members' ENTER/EXIT notices):
  /// they keep their place in the order but may wait up to the transport's
  /// lazy delay for a write, so that several leave in one.
  virtual void send_lazy(const wire_message* msgs, std::size_t n) {
    send(msgs, n);
  }

  /// A command handed to the user is complete: one more may be read.
  virtual void release() = 0;

  /// The user hands one more command to its session than on_text()'s
  /// answer counts (a text with several STOMP frames, or frames held until
  /// CONNECT was accepted): counted now, before it is handed on, and
  /// released like any other. Any thread. A transport that reads no
  /// commands (an SSE stream) needs none.
  virtual void hold() {
  }

  /// Ends the session after what is queued, for `why`; `detail` replaces
  /// the default text of the close where the transport has one.
  virtual void end(end_reason why, std::string_view detail = {}) = 0;

  /// Closes at once; only while no I/O thread runs (end of shutdown).
  virtual void abort_now() = 0;

  /// The peer, for logs.
  virtual const std::string& peer() const = 0;
};

/// What a transport hands to its user (the link), on its I/O thread.
class transport_user {
public:
  virtual ~transport_user() = default;

  /// A text message of the client. True when it became a command handed
  /// to the session: it occupies the inbound window until release().
  virtual bool on_text(std::string& text) = 0;

  /// The transport is finished (closed or failed); called once.
  virtual void on_gone() = 0;
};

} // namespace h2h::net
