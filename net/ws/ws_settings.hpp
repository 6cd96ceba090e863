// Limits of one WebSocket connection (part of the server's settings).
#pragma once

#include <chrono>
#include <cstddef>

#include "net/protocol/raw_json/json_codec.hpp"

namespace h2h::net {

/// Limits of one WebSocket connection.
struct ws_settings {
  std::size_t max_frame_bytes = 65536;
  std::size_t outbound_queue_bytes = 1048576;
  /// Decoded frames that may wait for the session actor before reading stops.
  int inbound_window = 32;
  std::chrono::milliseconds close_timeout{2000};
  codec_limits codec;
};

} // namespace h2h::net
