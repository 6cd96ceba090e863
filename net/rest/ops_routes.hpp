// Operational endpoints: /healthz and /readyz on the public port, and the
// Prometheus text that the metrics port (metrics_listener) serves.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "actors/vocabulary/metrics.hpp"
#include "net/server/registry.hpp"
#include "net/http/router.hpp"

namespace h2h::net {

struct ops_sources {
  std::function<bool()> draining;
  std::shared_ptr<const node_metrics> actors;
  const net_counters* network = nullptr;
  std::function<std::size_t()> open_connections;
  /// Checks the store with a round trip; calls back with the outcome.
  std::function<void(std::function<void(bool)>)> check_store;
};

/// Registers /healthz and /readyz on `r` (/metrics is not on the public
/// port: see metrics_listener.hpp).
void add_ops_routes(router& r, ops_sources sources);

/// The Prometheus text exposition of the counters.
std::string metrics_text(const ops_sources& sources);

} // namespace h2h::net
