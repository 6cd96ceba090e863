// Rooms created by ENTER: who creates one, and how many each creator may
// make (a bounded table of token buckets, kept by the room directory).
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

namespace h2h {

/// The ENTER that started a room actor: if the room does not exist yet, it
/// is created for (and charged to) this sender.
struct room_creator {
  /// 0 in trusted mode (no token): the room then has no owner.
  std::int64_t member_id = 0;
  std::string sender;
  /// False when the room was started for an HTTP send: a room nobody
  /// created is then refused (CHAT_001), never created.
  bool may_create = true;

  /// The limiter's key: the member id when authenticated, else (trusted
  /// mode) the sender name.
  std::string key() const;
};

/// A token bucket per creator: `per_hour` creations, refilled evenly over an
/// hour. At most `capacity` creators are tracked; past that the one unseen
/// the longest is forgotten (its bucket starts full again). A bucket idle for
/// an hour is full anyway, so only more than `capacity` creators within one
/// hour lose anything. Every call is O(1).
class creation_limiter {
public:
  using time_point = std::chrono::steady_clock::time_point;

  creation_limiter(std::size_t per_hour, std::size_t capacity);

  /// Takes one creation from `key`'s bucket; false when it is empty.
  bool take(const std::string& key, time_point now);

  /// Creators tracked.
  std::size_t size() const {
    return buckets_.size();
  }

private:
  using order_list = std::list<const std::string*>;
  struct bucket {
    double tokens = 0;
    time_point last;
    /// This creator's place in `order_` (most recently seen first).
    order_list::iterator pos;
  };

  double per_hour_;
  std::size_t capacity_;
  std::unordered_map<std::string, bucket> buckets_;
  /// Points at the keys of `buckets_` (stable: the map is node-based).
  order_list order_;
};

} // namespace h2h
