// Counters of the public port that transports and the server bump and
// /metrics reads (relaxed atomics).
#pragma once

#include <atomic>
#include <cstdint>

namespace h2h::net {

/// Counters of the public port, read by /metrics.
struct net_counters {
  std::atomic<std::uint64_t> ws_opened{0};
  std::atomic<std::uint64_t> ws_closed{0};
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> slow_consumers{0};
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> refused_connections{0};
  /// Refused because their client address had too many connections.
  std::atomic<std::uint64_t> refused_per_address{0};
  /// WebSockets closed because their login session ended.
  std::atomic<std::uint64_t> sessions_ended{0};
};

} // namespace h2h::net
