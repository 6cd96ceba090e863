// When a push that failed for a passing reason is tried again: exponential
// back-off with jitter, never earlier than the provider's Retry-After.
#pragma once

#include <chrono>
#include <cstdint>

namespace h2h {

struct backoff_policy {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds cap{60000};
};

/// The un-jittered delay before try `attempt` (1 = the first retry):
/// base * 2^(attempt-1), at most the cap.
std::chrono::milliseconds backoff_ceiling(const backoff_policy& p, int attempt);

/// The delay before try `attempt`: uniform in [ceiling/2, ceiling] for
/// `unit` in [0, 1) ("equal jitter"), and at least `retry_after_ms` when the
/// provider gave one (>= 0).
std::chrono::milliseconds backoff_delay(const backoff_policy& p, int attempt,
                                        double unit,
                                        std::int64_t retry_after_ms);

} // namespace h2h
