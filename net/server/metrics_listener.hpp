// The metrics port: a small plain-HTTP listener of its own, apart from the
// public port, that serves only GET (and HEAD) /metrics to scrapers inside
// the cluster network (DESIGN.md §1, §3.3).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/http/http_types.hpp"

namespace h2h::net {

struct metrics_settings {
  std::string bind = "0.0.0.0";
  /// 0 picks a free port.
  std::uint16_t port = 9100;
  /// Connections open at once; more are closed at accept.
  std::size_t max_connections = 16;
  /// Longest wait for a request, and for a response to be written.
  std::chrono::milliseconds timeout{10000};
};

/// Produces the Prometheus text; called on the listener's thread.
using metrics_source = std::function<std::string()>;

/// The answer of the metrics port to one request: 200 with the text for
/// GET /metrics (headers only for HEAD), 405 GLOBAL_003 for another method
/// on /metrics, 404 GLOBAL_001 for any other path.
http_response metrics_response(const http_request& req,
                               const metrics_source& text);

class metrics_listener {
public:
  metrics_listener(metrics_settings settings, metrics_source text);
  /// Stops (see stop()).
  ~metrics_listener();

  metrics_listener(const metrics_listener&) = delete;
  metrics_listener& operator=(const metrics_listener&) = delete;

  /// Binds and listens; returns the bound port. Throws
  /// boost::system::system_error (e.g. the port is taken).
  std::uint16_t listen();

  /// Serves on a thread of its own until stop().
  void start();

  /// Closes the listener and every connection, joins the thread.
  /// Idempotent.
  void stop();

  /// Connections open now.
  std::size_t connections() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h::net
