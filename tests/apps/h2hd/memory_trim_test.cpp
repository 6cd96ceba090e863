// The memory trimmer: trims once per period on its own thread and stops at
// once; a trim gives the pages of freed blocks back (glibc, no sanitizer).
#include "apps/h2hd/memory_trim.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

using namespace std::chrono_literals;

TEST(memory_trimmer, trims_once_per_period_until_destroyed) {
  std::mutex mtx;
  std::condition_variable cv;
  int calls = 0;
  {
    h2h::memory_trimmer trimmer{1ms, [&] {
                                  std::lock_guard<std::mutex> guard{mtx};
                                  ++calls;
                                  cv.notify_all();
                                }};
    std::unique_lock<std::mutex> guard{mtx};
    ASSERT_TRUE(cv.wait_for(guard, 10s, [&] { return calls >= 3; }))
      << "the trimmer never ran";
  }
  // Destroyed: its thread is joined, so `calls` may be read unlocked.
  EXPECT_GE(calls, 3);
}

TEST(memory_trimmer, a_long_period_does_not_hold_up_the_stop) {
  // A stop that waited for the period would take an hour: the suite's
  // ctest timeout (60 s) fails it.
  int calls = 0;
  {
    h2h::memory_trimmer trimmer{1h, [&] { ++calls; }};
  }
  EXPECT_EQ(calls, 0);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define H2H_SANITIZED_HEAP 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#    define H2H_SANITIZED_HEAP 1
#  endif
#endif

TEST(trim_memory, gives_back_the_pages_of_blocks_freed_between_live_ones) {
#if defined(H2H_SANITIZED_HEAP) || !defined(__GLIBC__)
  GTEST_SKIP() << "the sanitizer's allocator (or a libc without "
                  "malloc_trim) has no arenas to trim";
#else
  // 64 MiB in 1 KiB blocks, then every block freed but one in 64: the
  // free runs lie between live blocks, where glibc's own trimming (the top
  // of the heap) never reaches.
  constexpr std::size_t blocks = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> heap(blocks);
  for (auto& b : heap) {
    b.reset(new char[1024]);
    b[0] = 1; // touched: resident
    for (std::size_t i = 0; i < 1024; i += 64)
      b[i] = 1;
  }
  for (std::size_t i = 0; i < blocks; ++i)
    if (i % 64 != 0)
      heap[i].reset();
  auto r = h2h::trim_memory();
  EXPECT_GT(r.rss_before_kb, 0);
  EXPECT_LT(r.rss_after_kb, r.rss_before_kb - 32 * 1024)
    << "at least half of the 64 MiB freed should leave RSS";
#endif
}
