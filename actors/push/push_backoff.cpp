// Exponential back-off with jitter for pushes, honouring Retry-After.
#include "actors/push/push_backoff.hpp"

#include <algorithm>

namespace h2h {

std::chrono::milliseconds backoff_ceiling(const backoff_policy& p,
                                          int attempt) {
  auto d = p.base;
  for (int i = 1; i < attempt && d < p.cap; ++i)
    d *= 2;
  return std::min(d, p.cap);
}

std::chrono::milliseconds backoff_delay(const backoff_policy& p, int attempt,
                                        double unit,
                                        std::int64_t retry_after_ms) {
  auto ceiling = backoff_ceiling(p, attempt).count();
  auto half = ceiling / 2;
  auto jittered = half + static_cast<std::int64_t>(unit * (ceiling - half));
  return std::chrono::milliseconds{std::max(jittered, retry_after_ms)};
}

} // namespace h2h
