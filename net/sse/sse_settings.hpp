// Limits and timing of Server-Sent Events streams (part of the server's
// settings).
#pragma once

#include <chrono>
#include <cstddef>

namespace h2h::net {

struct sse_settings {
  /// A comment line goes to every open stream this often (one sweep for
  /// all streams, not a timer each).
  std::chrono::seconds keepalive{15};
  /// Bytes queued for one stream before it is cut as a slow reader (the
  /// WebSocket limit, limits.outbound_queue_bytes).
  std::size_t outbound_queue_bytes = 1048576;
  /// Longest wait for what is queued to be written when a stream ends.
  std::chrono::milliseconds close_timeout{2000};
};

} // namespace h2h::net
