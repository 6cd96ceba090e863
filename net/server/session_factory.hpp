// How a connection gets its session actor: injected by the node's wiring.
#pragma once

#include <functional>

#include "actors/chat/client_link.hpp"
#include "actors/chat/session_actor.hpp"

namespace h2h::net {

/// Spawns the session actor of a new connection.
using session_factory
  = std::function<session_actor(client_link_ptr, session_identity)>;

} // namespace h2h::net
