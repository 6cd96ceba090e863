// Counting attempts per key (email, address) in fixed time windows, in a
// table of bounded size with constant work per call.
#include "net/security/rate_limit.hpp"

#include <algorithm>

namespace h2h::net {

window_limiter::window_limiter(int max, std::int64_t window_ms,
                               std::size_t max_keys)
  : max_(max)
  , window_ms_(window_ms)
  , max_keys_(std::max<std::size_t>(max_keys, 1)) {
}

bool window_limiter::allow(const std::string& key, std::int64_t now_ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  drop_expired(now_ms);
  auto i = slots_.find(key);
  if (i == slots_.end()) {
    if (slots_.size() >= max_keys_) {
      ++work_;
      drop(slots_.find(order_.front()->first));
    }
    i = slots_.try_emplace(key).first;
    i->second.start = now_ms;
    i->second.pos = order_.insert(order_.end(), &*i);
  } else if (now_ms - i->second.start >= window_ms_) {
    // A new window: the key moves to the back, keeping the order by start.
    i->second.start = now_ms;
    i->second.count = 0;
    order_.splice(order_.end(), order_, i->second.pos);
  }
  if (i->second.count >= max_)
    return false;
  ++i->second.count;
  return true;
}

void window_limiter::reset(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = slots_.find(key);
  if (i != slots_.end())
    drop(i);
}

std::size_t window_limiter::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return slots_.size();
}

std::uint64_t window_limiter::work() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return work_;
}

void window_limiter::drop(table::iterator i) {
  order_.erase(i->second.pos);
  slots_.erase(i);
}

void window_limiter::drop_expired(std::int64_t now_ms) {
  // Two per call: faster than one key can be added per call, so expired
  // keys never pile up, and the work per call stays constant.
  for (int n = 0; n < 2 && !order_.empty(); ++n) {
    ++work_;
    auto& front = *order_.front();
    if (now_ms - front.second.start < window_ms_)
      return;
    drop(slots_.find(front.first));
  }
}

} // namespace h2h::net
