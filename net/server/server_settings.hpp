// Settings of the public port, mapped from the configuration by the node.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/server/client_address.hpp"
#include "net/sse/sse_settings.hpp"
#include "net/ws/ws_settings.hpp"

namespace h2h::net {

struct server_settings {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 8080;
  int io_threads = 1;
  /// How long another member's ENTER or EXIT notice may wait for the
  /// client's next write (write_batcher::schedule_lazy); 0: none wait.
  std::chrono::milliseconds presence_delay{250};
  /// A turn's socket writes go to the kernel together (io_uring), when the
  /// kernel offers it.
  bool io_uring = true;
  std::chrono::milliseconds shutdown_timeout{5000};
  /// A stop closes the open connections in batches spread over this window
  /// (0: all at once); meanwhile new connections get only /healthz and
  /// /readyz (503), then the port closes.
  std::chrono::milliseconds drain_window{0};
  std::size_t max_http_body_bytes = 1048576;
  /// The body limit of POST /member/uploadAvatar only (an image plus its
  /// multipart framing).
  std::size_t max_avatar_body_bytes = 1048576 + 2097152;
  std::size_t max_connections = 100000;
  /// Open connections per client address (IPv6: per /64). Trusted proxies
  /// are not counted themselves; the clients they forward are, per upgrade.
  std::size_t connections_per_address = 256;
  /// Whose forwarding headers name the client (see client_address.hpp).
  proxy_trust proxies;
  /// Longest wait for a complete HTTP request (server.http_timeout_ms).
  std::chrono::milliseconds http_timeout{30000};
  /// How often connections' own timers are swept (STOMP heart-beats and
  /// the wait for CONNECT): one sweep, not a timer per connection.
  std::chrono::milliseconds tick_interval{1000};
  ws_settings ws;
  sse_settings sse;
};

} // namespace h2h::net
