// Counting attempts per key (email, address) in fixed time windows, in a
// table of bounded size with constant work per call.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace h2h::net {

/// Allows at most `max` attempts per key in each window. Thread-safe.
///
/// Keys are kept in the order their windows began; each call drops at most
/// two keys whose window ended from the front, and when the table holds
/// `max_keys` keys a new key pushes out the oldest (which then starts
/// afresh if it comes back). So memory stays bounded and no call ever
/// scans the table.
class window_limiter {
public:
  window_limiter(int max, std::int64_t window_ms, std::size_t max_keys = 65536);

  /// Counts an attempt; false when the key is over its limit.
  bool allow(const std::string& key, std::int64_t now_ms);

  /// Forgets the key (e.g. after a successful login).
  void reset(const std::string& key);

  /// Keys held.
  std::size_t size() const;

  /// Entries looked at beyond the key of each call, summed over all calls
  /// (tests check that the work per call is constant).
  std::uint64_t work() const;

private:
  struct slot;
  using table = std::unordered_map<std::string, slot>;
  /// Keys by the start of their window, oldest first (pointers to table
  /// nodes: they survive rehashing).
  using order = std::list<table::value_type*>;
  struct slot {
    std::int64_t start = 0;
    int count = 0;
    order::iterator pos;
  };

  // With mtx_ held.
  void drop(table::iterator i);
  void drop_expired(std::int64_t now_ms);

  int max_;
  std::int64_t window_ms_;
  std::size_t max_keys_;
  mutable std::mutex mtx_;
  table slots_;
  order order_;
  std::uint64_t work_ = 0;
};

} // namespace h2h::net
