// Node-wide counters the actors bump and /metrics reads (relaxed atomics).
#pragma once

#include <atomic>
#include <cstdint>

namespace h2h {

struct node_metrics {
  std::atomic<std::int64_t> rooms_active{0};
  std::atomic<std::uint64_t> rooms_started{0};
  std::atomic<std::int64_t> sessions_active{0};
  /// Room events committed (messages and notices).
  std::atomic<std::uint64_t> events{0};
  /// Chat messages accepted from clients.
  std::atomic<std::uint64_t> messages_in{0};
  /// Event deliveries to sessions (one per event per receiver).
  std::atomic<std::uint64_t> deliveries{0};
  std::atomic<std::uint64_t> duplicates{0};
  // Persistence.
  std::atomic<bool> store_ok{true};
  /// Appends accepted and not yet committed.
  std::atomic<std::int64_t> persist_queue{0};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> batched_messages{0};
  std::atomic<std::uint64_t> commit_us_total{0};
  std::atomic<std::uint64_t> commit_retries{0};
  /// Publishes and ENTERs refused with CHAT_006 because the queue was full.
  std::atomic<std::uint64_t> refused_full{0};
};

} // namespace h2h
