// A token bucket (see token_bucket.hpp).
#include "actors/chat/token_bucket.hpp"

#include <algorithm>
#include <chrono>

namespace h2h {

bool token_bucket::take(caf::actor_clock::time_point now, double rate,
                        double burst) {
  if (last == caf::actor_clock::time_point{}) {
    last = now;
  } else if (now > last) {
    auto dt = std::chrono::duration<double>(now - last).count();
    tokens = std::min(burst, tokens + dt * rate);
    last = now;
  } // else: time went backwards; nothing refills until it passes `last`
  if (tokens < 1.0)
    return false;
  tokens -= 1.0;
  return true;
}

} // namespace h2h
