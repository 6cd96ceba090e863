// A room's message rate over the last minute: a ring of per-second counters.
#include "actors/chat/room_rate.hpp"

#include <algorithm>

namespace h2h {

namespace {

std::size_t slot(std::int64_t sec) {
  auto m = sec % room_rate::seconds;
  return static_cast<std::size_t>(m < 0 ? m + room_rate::seconds : m);
}

} // namespace

void room_rate::add(std::int64_t ms) {
  auto sec = ms / 1000;
  if (sec > last_) {
    // Seconds skipped since the newest one start from zero.
    auto from = std::max(last_ + 1, sec - seconds + 1);
    for (auto s = from; s <= sec; ++s)
      counts_[slot(s)] = 0;
    last_ = sec;
  } else if (sec <= last_ - seconds) {
    return; // older than the ring (a clock step back): not counted
  }
  ++counts_[slot(sec)];
}

double room_rate::per_second(std::int64_t now_ms) const {
  auto now = now_ms / 1000;
  auto lo = std::max(now, last_) - seconds + 1;
  std::uint64_t sum = 0;
  for (auto s = std::max(lo, last_ - seconds + 1); s <= std::min(now, last_);
       ++s)
    sum += counts_[slot(s)];
  return static_cast<double>(sum) / static_cast<double>(seconds);
}

} // namespace h2h
