// A room's message rate over the last minute, for the admin actor: a fixed
// ring of per-second counters.
#pragma once

#include <array>
#include <cstdint>

namespace h2h {

/// Messages per second over the last minute: one counter per second in a
/// fixed ring (248 bytes per room, nothing per message).
class room_rate {
public:
  static constexpr std::int64_t seconds = 60;

  /// Counts one message committed at wall-clock `ms`.
  void add(std::int64_t ms);

  /// Messages per second over the minute up to wall-clock `now_ms`.
  double per_second(std::int64_t now_ms) const;

private:
  std::array<std::uint32_t, seconds> counts_{};
  /// The newest second counted (counts_ holds the minute up to it).
  std::int64_t last_ = 0;
};

} // namespace h2h
