// The per-key attempt limiter: its limits per window, a table that stays
// bounded under a flood of distinct keys, and constant work per call.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "net/security/rate_limit.hpp"

namespace {

using h2h::net::window_limiter;

TEST(window_limiter, allows_max_attempts_per_key_and_window) {
  window_limiter lim{3, 1000, 100};
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(lim.allow("a", 0)) << i;
  EXPECT_FALSE(lim.allow("a", 10));
  EXPECT_TRUE(lim.allow("b", 10)) << "keys are counted apart";
  EXPECT_FALSE(lim.allow("a", 999));
  EXPECT_TRUE(lim.allow("a", 1000)) << "a new window";
  lim.reset("a");
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(lim.allow("a", 1001)) << "after reset " << i;
  EXPECT_FALSE(lim.allow("a", 1002));
}

// A flood of distinct keys (addresses, emails) inside one window: the
// table stays at its bound, and a call never rescans it (it used to, on
// the I/O thread, once it held 100,000 keys).
TEST(window_limiter,
     a_flood_of_distinct_keys_stays_bounded_with_constant_work) {
  constexpr std::size_t max_keys = 1000;
  window_limiter lim{5, 60'000, max_keys};
  for (int i = 0; i < 150'000; ++i) {
    auto before = lim.work();
    EXPECT_TRUE(lim.allow("k" + std::to_string(i), 1000 + i / 100));
    auto touched = lim.work() - before;
    if (touched > 4) {
      ADD_FAILURE() << "call " << i << " touched " << touched << " entries";
      break;
    }
  }
  EXPECT_LE(lim.size(), max_keys);
}

// Keys that stop coming leave the table as their windows end, a few per
// call, without a full pass.
TEST(window_limiter, expired_keys_leave_the_table_as_time_passes) {
  window_limiter lim{5, 1000, 1'000'000};
  std::int64_t now = 0;
  std::uint64_t calls = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 5000; ++i, ++calls)
      lim.allow("r" + std::to_string(round) + "-" + std::to_string(i), now);
    now += 1000; // the previous round's window is over
    EXPECT_LE(lim.size(), 2 * 5000u) << "round " << round;
  }
  EXPECT_LE(lim.work(), 3 * calls) << "constant work per call on average";
  // One key coming back in every window keeps its own count.
  for (int w = 0; w < 3; ++w) {
    for (int i = 0; i < 5; ++i)
      EXPECT_TRUE(lim.allow("steady", now)) << w << "/" << i;
    EXPECT_FALSE(lim.allow("steady", now));
    now += 1000;
  }
}

} // namespace
