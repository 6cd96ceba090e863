// The authenticator of a connection: checks the credentials a client brings
// (the upgrade's token today; STOMP's CONNECT later) and answers who it is.
// A callable of its own, stored per upgrade-table entry.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include "actors/chat/session_actor.hpp"
#include "actors/vocabulary/errors.hpp"
#include "net/http/http_types.hpp"

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

/// Checks the token of a request and calls back exactly once (from any
/// thread).
using ws_authenticator = std::function<void(
  const http_request&, const request_meta&, std::function<void(ws_auth)>)>;

} // namespace h2h::net
