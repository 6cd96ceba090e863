// What checking a connection's credentials answers, and the authenticator
// of credentials carried inside a protocol's stream (STOMP's CONNECT). No
// HTTP types here: the link includes this without Beast.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include "actors/chat/session_actor.hpp"
#include "actors/vocabulary/errors.hpp"

namespace h2h::net {

/// The outcome of checking a connection's token.
struct ws_auth {
  bool ok = true;
  session_identity identity;
  /// Time until the access token expires; zero when it never does.
  std::chrono::milliseconds expires_in{0};
  errc code = errc::none;
  std::string message;
  /// The login session of the token; its end closes the connection.
  std::string session_id;

  /// A refusal with the error for the client.
  static ws_auth refused(errc code, std::string message) {
    ws_auth out;
    out.ok = false;
    out.code = code;
    out.message = std::move(message);
    return out;
  }
};

/// Checks a token a protocol carries in its stream (STOMP CONNECT; empty:
/// none) and calls back exactly once (from any thread).
using connect_authenticator
  = std::function<void(const std::string&, std::function<void(ws_auth)>)>;

} // namespace h2h::net
