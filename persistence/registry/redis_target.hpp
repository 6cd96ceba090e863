// The checked settings a registry connection runs on (private to registry/).
#pragma once

#include "config/redis_url.hpp"
#include "persistence/registry/node_registry.hpp"

#include <chrono>
#include <string>

namespace h2h {

/// What a connection needs, and how to name it in messages: "redis
/// host:port[/db]", never with the password.
struct redis_target {
  config::redis_target addr;
  std::string prefix;
  std::chrono::milliseconds timeout;
  std::string where;
};

/// Throws registry_error when the url, the key prefix or the timeout is bad.
redis_target check_redis_settings(const redis_settings& cfg);

} // namespace h2h
