// Counting attempts per key (email, address) in fixed time windows.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace h2h::net {

/// Allows at most `max` attempts per key in each window. Thread-safe.
class window_limiter {
public:
  window_limiter(int max, std::int64_t window_ms)
    : max_(max)
    , window_ms_(window_ms) {
  }

  /// Counts an attempt; false when the key is over its limit.
  bool allow(const std::string& key, std::int64_t now_ms);

  /// Forgets the key (e.g. after a successful login).
  void reset(const std::string& key);

private:
  struct slot {
    std::int64_t start = 0;
    int count = 0;
  };
  void purge(std::int64_t now_ms);

  int max_;
  std::int64_t window_ms_;
  std::mutex mtx_;
  std::unordered_map<std::string, slot> slots_;
  std::int64_t last_purge_ = 0;
};

} // namespace h2h::net
