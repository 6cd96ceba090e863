// The send rate limit of a connection: refill, burst cap, a clock that goes
// backwards.
#include "actors/chat/token_bucket.hpp"

#include <chrono>

#include <gtest/gtest.h>

using namespace h2h;
using namespace std::chrono_literals;

namespace {

constexpr double rate = 20;
constexpr double burst = 40;

caf::actor_clock::time_point at(std::chrono::milliseconds t) {
  return caf::actor_clock::time_point{} + 1h + t;
}

/// Takes tokens at `now` until one is refused; how many were given.
int drain(token_bucket& b, caf::actor_clock::time_point now) {
  int n = 0;
  while (b.take(now, rate, burst))
    ++n;
  return n;
}

} // namespace

TEST(token_bucket, a_full_bucket_gives_its_burst_and_then_refuses) {
  token_bucket b;
  b.tokens = burst;
  EXPECT_EQ(drain(b, at(0ms)), 40);
  EXPECT_FALSE(b.take(at(0ms), rate, burst));
}

TEST(token_bucket, tokens_come_back_at_the_rate) {
  token_bucket b;
  b.tokens = burst;
  drain(b, at(0ms));
  EXPECT_FALSE(b.take(at(25ms), rate, burst)) << "half a token: not yet one";
  EXPECT_TRUE(b.take(at(75ms), rate, burst)) << "one token per 50 ms";
  EXPECT_EQ(drain(b, at(1075ms)), 20) << "20 tokens in one second";
}

TEST(token_bucket, a_long_pause_saves_up_no_more_than_the_burst) {
  token_bucket b;
  b.tokens = burst;
  drain(b, at(0ms));
  EXPECT_EQ(drain(b, at(3600000ms)), 40);
}

TEST(token_bucket,
     a_clock_going_backwards_refills_nothing_and_counts_no_time_twice) {
  token_bucket b;
  b.tokens = burst;
  drain(b, at(10000ms));
  EXPECT_FALSE(b.take(at(9000ms), rate, burst));
  EXPECT_GE(b.tokens, 0.0) << "going back takes nothing away either";
  // Back at 10.5 s: half a second has passed since 10 s, not 1.5 s.
  EXPECT_EQ(drain(b, at(10500ms)), 10);
}
