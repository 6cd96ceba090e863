// Counting attempts per key (email, address) in fixed time windows.
#include "net/rate_limit.hpp"

namespace h2h::net {

bool window_limiter::allow(const std::string& key, std::int64_t now_ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  purge(now_ms);
  auto& s = slots_[key];
  if (now_ms - s.start >= window_ms_) {
    s.start = now_ms;
    s.count = 0;
  }
  if (s.count >= max_)
    return false;
  ++s.count;
  return true;
}

void window_limiter::reset(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  slots_.erase(key);
}

void window_limiter::purge(std::int64_t now_ms) {
  // Memory stays bounded by the keys of one window.
  if (now_ms - last_purge_ < window_ms_ && slots_.size() < 100000)
    return;
  last_purge_ = now_ms;
  for (auto i = slots_.begin(); i != slots_.end();) {
    if (now_ms - i->second.start >= window_ms_)
      i = slots_.erase(i);
    else
      ++i;
  }
}

} // namespace h2h::net
