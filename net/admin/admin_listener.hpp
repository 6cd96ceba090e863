// The admin port (docs/admin.md): a small TCP listener of its own, apart
// from the public port, that reads one JSON request per line, checks who
// may ask, hands each request to an injected asynchronous handler (the
// admin actor, wired by the node) and writes the answers in order.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/vocabulary/admin.hpp"
#include "config/config.hpp"
#include "net/admin/admin_json.hpp"

namespace h2h::net {

struct admin_listener_settings {
  std::string bind = "127.0.0.1";
  /// 0 picks a free port.
  std::uint16_t port = 4243;
  /// What a non-loopback client must send first (`auth`); empty: only
  /// loopback clients are served.
  std::string token;
  /// Connections open at once; more get ADMIN_UNAVAILABLE and are closed.
  std::size_t max_connections = 8;
  /// Longest wait for the handler's answer (then ADMIN_TIMEOUT).
  std::chrono::milliseconds timeout{10000};
  /// Longest wait for a request (between requests and inside a line), and
  /// for an answer to be written; then the connection is closed.
  std::chrono::milliseconds idle_timeout{600000};
  /// Longest request line without its '\n'; longer gets ADMIN_BAD_REQUEST
  /// and the connection is closed.
  std::size_t max_line_bytes = 65536;
  admin_parse_limits parse;
  /// This node's id (the `node` of the `stats` result).
  std::string node_id;
  /// Wall clock in ms since the epoch (for uptime_s); empty: the system's.
  std::function<std::int64_t()> now_ms;
};

/// The settings of the admin.* keys (and limits.max_message_chars,
/// cluster.node_id) for the listener.
admin_listener_settings admin_settings_from(const config::settings& s);

/// Called once with the answer to one request, from any thread, at most
/// once; calling it after the connection closed or the listener stopped is
/// harmless.
using admin_reply_fn = std::function<void(admin_reply)>;

/// Answers one request, asynchronously: must not block (it runs on the
/// listener's thread) and should call `reply` exactly once. Gets every
/// command but `auth`, which the listener answers itself.
using admin_handler = std::function<void(admin_request, admin_reply_fn)>;

class admin_listener {
public:
  admin_listener(admin_listener_settings settings, admin_handler handler);
  /// Stops (see stop()).
  ~admin_listener();

  admin_listener(const admin_listener&) = delete;
  admin_listener& operator=(const admin_listener&) = delete;

  /// Binds and listens, logs `admin listening on H:P`; returns the bound
  /// port. Throws boost::system::system_error (e.g. the port is taken).
  std::uint16_t listen();

  /// Serves on a thread of its own until stop().
  void start();

  /// Closes the listener and every connection, joins the thread; answers
  /// that arrive later are dropped. Idempotent.
  void stop();

  /// The bound port (0 before listen()).
  std::uint16_t port() const;

  /// Connections open now.
  std::size_t connections() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h::net
