// The public port: HTTP, WebSocket upgrades, connection limits and graceful
// shutdown. The only interface of the network layer the apps see.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/http/http_types.hpp"
#include "net/server/registry.hpp"
#include "net/server/server_settings.hpp"
#include "net/server/upgrade_table.hpp"

namespace h2h::net {

class server {
public:
  /// `upgrades` maps the paths that upgrade; every other request goes to
  /// `handle_http`.
  server(server_settings settings, upgrade_table upgrades,
         http_handler handle_http);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens; returns the bound port. Throws std::system_error.
  std::uint16_t listen();

  /// Runs the I/O threads until a graceful stop (stop() or SIGINT/SIGTERM)
  /// has closed every connection or timed out. Blocks.
  void run();

  /// Starts a graceful stop: no more accepts, WebSockets close with 1001.
  /// Thread-safe; idempotent.
  void stop();

  /// True once a stop began (for /readyz).
  bool draining() const;

  /// Called once, on an I/O thread, when a graceful stop begins: after
  /// /readyz turned 503, before the first connection is closed (a cluster
  /// node hands its rooms over then). Must not block. Set before run().
  void on_drain(std::function<void()> hook);

  const net_counters& counters() const;
  std::size_t connections() const;

  /// Closes every WebSocket of the login session (ERROR GLOBAL_103, then
  /// 1008); also one whose upgrade is still completing. Thread-safe.
  std::size_t end_session(const std::string& session_id);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h::net
