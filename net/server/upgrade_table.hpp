// The upgrade table: which paths of the public port upgrade (WebSocket) or
// become a stream (SSE), to which transport and protocol, negotiating which
// subprotocols, checked by which authenticator. Pure lookup and
// negotiation, testable without sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actors/vocabulary/errors.hpp"
#include "net/http/http_types.hpp"
#include "net/protocol/wire_protocol.hpp"
#include "net/security/authenticator.hpp"
#include "net/server/session_factory.hpp"

namespace h2h::net {

/// What carries the bytes after the upgrade.
enum class transport_kind : std::uint8_t {
  websocket, ///< RFC 6455
  /// Server-Sent Events: a GET whose response is a stream (no upgrade
  /// header; the path is a pattern such as /chat/room/{roomId}/events).
  sse,
};

/// The wire protocol spoken on the connection, one object per connection.
/// For now its name and what the connection needs to start its session.
struct protocol_spec {
  /// For logs ("raw-json").
  std::string name;
  /// Makes the pure wire protocol of one connection.
  std::function<std::unique_ptr<wire_protocol>()> make_protocol;
  /// For streams (transport_kind::sse): the protocol of one stream made
  /// from its request (the room and resume point are in it); null when the
  /// request does not name a stream.
  std::function<std::unique_ptr<wire_protocol>(const http_request&)>
    make_stream_protocol;
  session_factory make_session;
};

/// One upgradable path.
struct upgrade_entry {
  /// The request path without the query string, e.g. "/message".
  std::string path;
  transport_kind transport = transport_kind::websocket;
  protocol_spec protocol;
  /// `Sec-WebSocket-Protocol` tokens this entry speaks (case-sensitive, RFC
  /// 6455 §4.2.2). Empty: the header is ignored and none is echoed.
  std::vector<std::string> subprotocols;
  /// True: an upgrade that offers none of `subprotocols` is refused; false:
  /// it is accepted without a subprotocol.
  bool subprotocol_required = false;
  /// Checks the client's credentials, once per upgrade. Empty: every
  /// upgrade is accepted without a token.
  ws_authenticator authenticate;
  /// Non-empty: the protocol authenticates inside its stream (STOMP
  /// CONNECT) and the session starts only once this accepted it; the
  /// upgrade itself then needs no token (`authenticate` empty).
  connect_authenticator authenticate_connect;
  /// Longest wait for that connect frame.
  std::chrono::milliseconds connect_timeout{10000};
};

/// What admin listings call the entry's sessions (session_identity::
/// protocol): "raw", "stomp", "sse", or its protocol's name.
inline const char* session_protocol_of(const upgrade_entry& e) {
  if (e.transport == transport_kind::sse)
    return "sse";
  if (e.authenticate_connect || e.protocol.name == "stomp")
    return "stomp";
  if (e.protocol.name == "raw-json")
    return "raw";
  return "ws";
}

/// The outcome of looking up an upgrade request: the entry and the
/// subprotocol to echo, or why it is refused.
struct upgrade_match {
  /// Null when refused; points into the table, which outlives connections.
  const upgrade_entry* entry = nullptr;
  /// The token to echo in the 101; empty: no Sec-WebSocket-Protocol header.
  std::string subprotocol;
  /// The refusal (unknown_path: 404; invalid_field: 400).
  errc code = errc::none;
  std::string message;

  explicit operator bool() const {
    return entry != nullptr;
  }
};

/// The tokens of a `Sec-WebSocket-Protocol` header value, in the client's
/// order: comma separated, spaces and tabs around each ignored, empty
/// elements dropped.
std::vector<std::string_view> split_subprotocols(std::string_view header);

class upgrade_table {
public:
  /// Adds an entry; throws std::invalid_argument when its path is taken or
  /// it requires a subprotocol without listing any (start-up config errors).
  void add(upgrade_entry entry);

  /// The WebSocket entry of `path`, or null.
  const upgrade_entry* find(std::string_view path) const;

  /// The stream entry (transport_kind::sse) whose pattern matches `path`,
  /// or null: a GET of it becomes a stream instead of an HTTP answer.
  const upgrade_entry* find_stream(std::string_view path) const;

  /// Looks up `path` and negotiates the subprotocol from the client's
  /// `Sec-WebSocket-Protocol` header value (`offered`, possibly empty): the
  /// first of the client's tokens the entry speaks is chosen.
  upgrade_match negotiate(std::string_view path,
                          std::string_view offered) const;

  /// The same for a request: its target's path and its header.
  upgrade_match negotiate(const http_request& req) const;

  /// Checks the credentials of an accepted upgrade with its entry's
  /// authenticator, called exactly once; `done` is called exactly once,
  /// at once (no authenticator: accepted anonymously) or from any thread.
  static void authenticate(const upgrade_match& match, const http_request& req,
                           const request_meta& meta,
                           std::function<void(ws_auth)> done);

  bool empty() const {
    return entries_.empty();
  }

private:
  std::vector<upgrade_entry> entries_;
};

} // namespace h2h::net
