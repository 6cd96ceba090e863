// Operational endpoints: /healthz and /readyz on the public port, and the
// Prometheus text that the metrics port (metrics_listener) serves.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/push/push_metrics.hpp"
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

  /// What a cluster node reports about its cluster.
  struct cluster_status {
    std::string node_id;
    /// Live nodes this node knows, itself included.
    std::size_t nodes = 0;
    /// False while Redis is unreachable (the node serves on with the last
    /// known node set, and stays ready).
    bool registry_ok = true;
  };
  /// Called on any thread for each /readyz and /metrics; empty or nullopt:
  /// not a cluster (the answers stay those of a single node).
  std::function<std::optional<cluster_status>()> cluster;
  /// The push dispatcher's counters; null: push is off (no h2h_push_*).
  std::shared_ptr<const push_metrics> push;
};

/// The JSON body of /readyz: {"status":..,"store":..} (no "store" when
/// `store` is empty) and, for a cluster node,
/// "cluster":{"node":..,"nodes":N,"registry":"ok"|"unreachable"}.
std::string readyz_body(const std::string& status, const std::string& store,
                        const std::optional<ops_sources::cluster_status>& c);

/// Registers /healthz and /readyz on `r` (/metrics is not on the public
/// port: see metrics_listener.hpp).
void add_ops_routes(router& r, ops_sources sources);

/// The Prometheus text exposition of the counters.
std::string metrics_text(const ops_sources& sources);

} // namespace h2h::net
