// The authenticator of a connection: checks the credentials a client brings
// (the upgrade's token, or STOMP's CONNECT frame) and answers who it is.
// A callable of its own, stored per upgrade-table entry.
#pragma once

#include <functional>

#include "actors/vocabulary/errors.hpp"
#include "net/http/http_types.hpp"
#include "net/security/auth_result.hpp"

namespace h2h::net {

/// Checks the token of a request and calls back exactly once (from any
/// thread).
using ws_authenticator = std::function<void(
  const http_request&, const request_meta&, std::function<void(ws_auth)>)>;

} // namespace h2h::net
