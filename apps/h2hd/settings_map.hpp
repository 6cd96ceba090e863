// The configuration mapped onto the settings of each component of a node.
#pragma once

#include <cstddef>
#include <string>

#include "actors/store/persistence_actor.hpp"
#include "config/config.hpp"
#include "net/protocol/stomp/stomp_protocol.hpp"
#include "net/rest/api.hpp"
#include "net/server/metrics_listener.hpp"
#include "net/server/server_settings.hpp"

namespace h2h::net {

server_settings to_server_settings(const config::settings& s);

/// STOMP at /ws; `server` is CONNECTED's server header ("h2h/<version>").
stomp_settings to_stomp_settings(const config::settings& s, std::string server);

/// With a random JWT key (and a warning) when auth.jwt_secret is not set.
api_settings to_api_settings(const config::settings& s);

metrics_settings to_metrics_settings(const config::settings& s);

persistence_settings to_persistence_settings(const config::settings& s);

/// CAF scheduler threads: the setting, or all cores but one.
std::size_t scheduler_threads(const config::settings& s);

} // namespace h2h::net
