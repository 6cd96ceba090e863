// What the connections of the public port share with its listener.
#pragma once

#include <atomic>

#include "net/http/http_types.hpp"
#include "net/server/registry.hpp"
#include "net/server/server_settings.hpp"
#include "net/server/upgrade_table.hpp"
#include "net/sse/sse_transport.hpp"

namespace h2h::net {

/// Everything connections share with the server. Outlives every connection
/// and every session actor (the node destroys the server last).
struct server_context {
  server_settings settings;
  /// The paths that upgrade, and to what.
  upgrade_table upgrades;
  http_handler handle_http;
  registry connections;
  net_counters counters;
  /// Open SSE streams, for the keep-alive sweep.
  sse_streams streams;
  /// A stop began: requests other than /healthz and /readyz are refused.
  std::atomic<bool> draining{false};
};

} // namespace h2h::net
