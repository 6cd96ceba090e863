// Registration of h2h's message types with an actor system configuration.
#pragma once

#include <caf/actor_system_config.hpp>

namespace h2h {

/// Adds every h2h message type; call on every actor system config.
void register_types(caf::actor_system_config& cfg);

/// An actor system configuration with h2h's types registered.
struct actor_config : caf::actor_system_config {
  actor_config() {
    register_types(*this);
  }
};

} // namespace h2h
