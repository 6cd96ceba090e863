// Counters of the push dispatcher that /metrics reads (relaxed atomics).
#pragma once

#include <atomic>
#include <cstdint>

namespace h2h {

struct push_metrics {
  /// Notifications the provider accepted.
  std::atomic<std::uint64_t> sent{0};
  /// Failed for good, by reason.
  std::atomic<std::uint64_t> failed_auth{0};
  std::atomic<std::uint64_t> failed_rejected{0};
  std::atomic<std::uint64_t> failed_retries{0};
  /// Dropped because the queue was full (the oldest go first).
  std::atomic<std::uint64_t> dropped{0};
  /// Requests tried again after 429/5xx/network.
  std::atomic<std::uint64_t> retried{0};
  /// Messages folded into a push already due for the same member and room.
  std::atomic<std::uint64_t> coalesced{0};
  /// Device tokens removed because the provider said they are gone.
  std::atomic<std::uint64_t> tokens_removed{0};
  /// Requests waiting to go out (queued or waiting to retry).
  std::atomic<std::int64_t> queue_length{0};
};

} // namespace h2h
