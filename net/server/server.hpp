// The public port: HTTP, WebSocket upgrades, connection limits and graceful
// shutdown. The only interface of the network layer the apps see.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/server/client_address.hpp"
#include "net/http/http_types.hpp"
#include "net/server/registry.hpp"
#include "net/server/link.hpp"
#include "net/ws/ws_transport.hpp"

namespace h2h::net {

struct server_settings {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 8080;
  int io_threads = 1;
  std::chrono::milliseconds shutdown_timeout{5000};
  std::size_t max_http_body_bytes = 1048576;
  std::size_t max_connections = 100000;
  /// Open connections per client address (IPv6: per /64). Trusted proxies
  /// are not counted themselves; the clients they forward are, per upgrade.
  std::size_t connections_per_address = 256;
  /// Whose forwarding headers name the client (see client_address.hpp).
  proxy_trust proxies;
  /// Longest wait for a complete HTTP request.
  std::chrono::seconds http_timeout{30};
  ws_settings ws;
};

/// The outcome of checking a WebSocket upgrade's token.
struct ws_auth {
  bool ok = true;
  session_identity identity;
  /// Time until the access token expires; zero when it never does.
  std::chrono::milliseconds expires_in{0};
  errc code = errc::none;
  std::string message;
  /// The login session of the token; its end closes the connection.
  std::string session_id;

  /// A refusal with the error for the client.
  static ws_auth refused(errc code, std::string message) {
    ws_auth out;
    out.ok = false;
    out.code = code;
    out.message = std::move(message);
    return out;
  }
};

/// Checks the token of an upgrade request and calls back (from any thread).
using ws_authenticator = std::function<void(
  const http_request&, const request_meta&, std::function<void(ws_auth)>)>;

/// Everything connections share with the server. Outlives every connection
/// and every session actor (the server object is destroyed last).
struct server_context {
  server_settings settings;
  session_factory make_session;
  http_handler handle_http;
  /// Empty: every upgrade is accepted without a token.
  ws_authenticator authenticate;
  registry connections;
  net_counters counters;
};

class server {
public:
  server(server_settings settings, session_factory make_session,
         http_handler handle_http, ws_authenticator authenticate = {});
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
