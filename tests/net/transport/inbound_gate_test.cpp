// The inbound window between a connection's I/O thread and its session:
// the pause/resume decision step by step, and under two real threads that
// no wake-up is ever lost (run under ThreadSanitizer too: label tsan).
#include "net/transport/inbound_gate.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include <gtest/gtest.h>

using h2h::net::inbound_gate;

namespace {

/// How many commands the stress tests hand over (H2H_STRESS_COMMANDS).
int stress_commands(int fallback) {
  if (auto* v = std::getenv("H2H_STRESS_COMMANDS"))
    return std::max(1, std::atoi(v));
  return fallback;
}

/// The flow control as it was before inbound_gate: a count and a flag,
/// with release/acquire, re-checked after the store (Dekker's pattern).
/// Kept to show what the stress test catches; not used by the server.
struct legacy_gate {
  explicit legacy_gate(int window)
    : window(window) {
  }
  void add() {
    pending.fetch_add(1, std::memory_order_acq_rel);
  }
  bool pause_if_full() {
    if (pending.load(std::memory_order_acquire) >= window) {
      paused.store(true, std::memory_order_release);
      if (pending.load(std::memory_order_acquire) < window)
        paused.store(false, std::memory_order_release);
    }
    return paused.load();
  }
  bool done() {
    auto left = pending.fetch_sub(1, std::memory_order_acq_rel) - 1;
    return paused.load(std::memory_order_acquire) && left < window;
  }
  /// The I/O thread's resume(): true when reading goes on.
  bool on_resume() {
    if (!paused.load())
      return true;
    if (pending.load(std::memory_order_acquire) >= window)
      return false;
    paused.store(false, std::memory_order_release);
    return true;
  }
  bool is_paused() const {
    return paused.load();
  }
  int window;
  std::atomic<int> pending{0};
  std::atomic<bool> paused{false};
};

/// inbound_gate in the same shape (its resume needs no second look).
struct new_gate {
  explicit new_gate(int window)
    : gate(static_cast<std::uint32_t>(window)) {
  }
  void add() {
    gate.add();
  }
  bool pause_if_full() {
    return gate.pause_if_full();
  }
  bool done() {
    return gate.done();
  }
  bool on_resume() {
    return true;
  }
  bool is_paused() const {
    return gate.paused();
  }
  inbound_gate gate;
};

struct stress_result {
  int pauses = 0;
  int lost_wakeups = 0;
};

/// The I/O thread hands over bursts of commands and stops when the gate
/// says so, until a resume comes; the session thread finishes commands and
/// posts a resume when done() says so. A lost wake-up: the session has
/// finished every command, no resume is on its way, and the I/O thread is
/// still paused. It is counted and the I/O thread goes on by itself.
template <class Gate>
stress_result run_stress(int window, int total) {
  Gate g{window};
  std::atomic<int> handed{0};   // commands handed to the session
  std::atomic<int> finished{0}; // done() calls returned
  std::atomic<int> resumes{0};  // resumes posted
  std::atomic<bool> stop{false};
  std::thread session{[&] {
    int next = 0;
    while (next < total && !stop.load(std::memory_order_relaxed)) {
      if (handed.load(std::memory_order_acquire) > next) {
        ++next;
        if (g.done())
          resumes.fetch_add(1, std::memory_order_release);
        finished.store(next, std::memory_order_release);
      } else {
        std::this_thread::yield();
      }
    }
  }};
  stress_result r;
  std::minstd_rand rng{42};
  int sent = 0;
  int resumes_seen = 0;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  while (sent < total) {
    auto burst = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < burst && sent < total; ++i) {
      g.add();
      handed.store(++sent, std::memory_order_release);
    }
    if (!g.pause_if_full())
      continue;
    ++r.pauses;
    for (;;) {
      if (resumes.load(std::memory_order_acquire) > resumes_seen) {
        ++resumes_seen;
        if (g.on_resume())
          break;
        continue;
      }
      // Everything handed over is finished and no resume came.
      if (finished.load(std::memory_order_acquire) == sent
          && resumes.load(std::memory_order_acquire) == resumes_seen
          && g.is_paused()) {
        ++r.lost_wakeups;
        g.on_resume(); // the I/O thread goes on by itself
        break;
      }
      if (std::chrono::steady_clock::now() > give_up) {
        stop = true;
        session.join();
        ADD_FAILURE() << "stress test did not finish";
        return r;
      }
      std::this_thread::yield();
    }
  }
  session.join();
  return r;
}

} // namespace

// -- the decision, step by step
// ------------------------------------------------

TEST(inbound_gate, reading_goes_on_below_the_window) {
  inbound_gate g{3};
  EXPECT_FALSE(g.pause_if_full());
  g.add();
  g.add();
  EXPECT_FALSE(g.pause_if_full());
  EXPECT_FALSE(g.paused());
  EXPECT_EQ(g.pending(), 2u);
}

TEST(inbound_gate, reading_pauses_at_the_window_and_one_done_resumes) {
  inbound_gate g{2};
  g.add();
  g.add();
  EXPECT_TRUE(g.pause_if_full());
  EXPECT_TRUE(g.paused());
  EXPECT_TRUE(g.pause_if_full()); // still paused, asked again
  EXPECT_TRUE(g.done());          // 1 left < 2: this one resumes
  EXPECT_FALSE(g.paused());
  EXPECT_FALSE(g.done()); // nothing to resume any more
  EXPECT_EQ(g.pending(), 0u);
}

TEST(inbound_gate, a_done_before_the_pause_means_no_pause) {
  // The session finished a command between the hand-over and the check.
  inbound_gate g{2};
  g.add();
  g.add();
  EXPECT_FALSE(g.done());
  EXPECT_FALSE(g.pause_if_full());
  EXPECT_FALSE(g.paused());
}

TEST(inbound_gate, dones_above_the_window_keep_the_pause) {
  inbound_gate g{2};
  for (int i = 0; i < 5; ++i)
    g.add(); // one read may hand over more than the window
  EXPECT_TRUE(g.pause_if_full());
  EXPECT_FALSE(g.done()); // 4 left
  EXPECT_FALSE(g.done()); // 3
  EXPECT_FALSE(g.done()); // 2: still full
  EXPECT_TRUE(g.paused());
  EXPECT_TRUE(g.done()); // 1: resume
  EXPECT_FALSE(g.paused());
}

TEST(inbound_gate, more_dones_than_commands_change_nothing) {
  inbound_gate g{1};
  EXPECT_FALSE(g.done());
  EXPECT_EQ(g.pending(), 0u);
  g.add();
  EXPECT_TRUE(g.pause_if_full());
  EXPECT_TRUE(g.done());
  EXPECT_FALSE(g.done());
  EXPECT_EQ(g.pending(), 0u);
}

TEST(inbound_gate, every_order_of_steps_ends_reading_or_full) {
  // Random interleavings of the two sides' steps. Invariant: once the
  // session has finished everything, the I/O side reads, or the gate is
  // full; and a resume is never announced while reading.
  std::minstd_rand rng{7};
  for (int round = 0; round < 20000; ++round) {
    std::uint32_t window = 1 + rng() % 4;
    inbound_gate g{window};
    bool reading = true;
    int handed = 0;
    int finished = 0;
    for (int step = 0; step < 40; ++step) {
      switch (rng() % 3) {
        case 0:
          if (reading) {
            g.add();
            ++handed;
          }
          break;
        case 1:
          if (reading && g.pause_if_full())
            reading = false;
          break;
        default:
          if (finished < handed) {
            ++finished;
            if (g.done()) {
              ASSERT_FALSE(reading) << "resumed while reading";
              reading = true;
            }
          }
      }
    }
    while (finished < handed) {
      ++finished;
      if (g.done()) {
        ASSERT_FALSE(reading);
        reading = true;
      }
    }
    ASSERT_TRUE(reading) << "round " << round << ": paused for good";
    ASSERT_EQ(g.pending(), 0u);
  }
}

// -- two threads
// ----------------------------------------------------------------

TEST(inbound_gate_stress, no_wakeup_is_lost_with_a_window_of_1) {
  auto r = run_stress<new_gate>(1, stress_commands(200000));
  EXPECT_GT(r.pauses, 0);
  EXPECT_EQ(r.lost_wakeups, 0);
}

TEST(inbound_gate_stress, no_wakeup_is_lost_with_a_window_of_3) {
  auto r = run_stress<new_gate>(3, stress_commands(200000));
  EXPECT_GT(r.pauses, 0);
  EXPECT_EQ(r.lost_wakeups, 0);
}

// The old algorithm, for comparison: run with
// --gtest_also_run_disabled_tests to see the harness catch its lost
// wake-ups (how often depends on the machine; see the test's output).
TEST(inbound_gate_stress, DISABLED_legacy_flags_lose_wakeups) {
  int lost = 0;
  int pauses = 0;
  for (int i = 0; i < 20 && lost == 0; ++i) {
    auto r = run_stress<legacy_gate>(1, stress_commands(200000));
    lost += r.lost_wakeups;
    pauses += r.pauses;
  }
  std::printf("legacy: %d lost wake-ups in %d pauses\n", lost, pauses);
  EXPECT_GT(lost, 0);
}
