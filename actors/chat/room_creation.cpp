// Rooms created by ENTER: who creates one, and how many each creator may
// make (a bounded table of token buckets, kept by the room directory).
#include "actors/chat/room_creation.hpp"

#include <algorithm>

namespace h2h {

std::string room_creator::key() const {
  // Distinct prefixes: a sender named "7" is not member 7.
  if (member_id != 0)
    return "m:" + std::to_string(member_id);
  return "n:" + sender;
}

creation_limiter::creation_limiter(std::size_t per_hour, std::size_t capacity)
  : per_hour_(static_cast<double>(per_hour))
  , capacity_(std::max<std::size_t>(capacity, 1)) {
}

bool creation_limiter::take(const std::string& key, time_point now) {
  auto i = buckets_.find(key);
  if (i == buckets_.end()) {
    if (buckets_.size() >= capacity_) {
      buckets_.erase(*order_.back());
      order_.pop_back();
    }
    i = buckets_.emplace(key, bucket{per_hour_, now, {}}).first;
    order_.push_front(&i->first);
    i->second.pos = order_.begin();
  } else {
    order_.splice(order_.begin(), order_, i->second.pos);
  }
  auto& b = i->second;
  auto hours = std::chrono::duration<double, std::ratio<3600>>(now - b.last);
  b.tokens = std::min(per_hour_, b.tokens + hours.count() * per_hour_);
  b.last = now;
  if (b.tokens < 1.0)
    return false;
  b.tokens -= 1.0;
  return true;
}

} // namespace h2h
