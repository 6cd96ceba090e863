// Gives the memory a burst left behind back to the system. A storm of
// connections (a node's clients reconnecting) fills queues and mailboxes
// for a few seconds; glibc keeps what they freed in its arenas, scattered
// between live blocks where its own trimming (the top of the heap only)
// never reaches, so RSS stays at the burst's peak for as long as the
// connections live. malloc_trim(0) returns every free page of every arena.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace h2h {

/// What one trim did.
struct trim_result {
  std::int64_t rss_before_kb = 0;
  std::int64_t rss_after_kb = 0;
  std::chrono::microseconds took{0};
};

/// Returns free heap pages to the system (malloc_trim(0) where the C
/// library has it; nothing elsewhere) and measures it.
trim_result trim_memory();

/// A thread of its own that trims every `every` (so no event loop or actor
/// waits for a trim's walk over the arenas), until destroyed.
class memory_trimmer {
public:
  /// `trim` is called once per period (tests count the calls).
  explicit memory_trimmer(std::chrono::milliseconds every,
                          std::function<void()> trim = nullptr);
  ~memory_trimmer();

  memory_trimmer(const memory_trimmer&) = delete;
  memory_trimmer& operator=(const memory_trimmer&) = delete;

private:
  void run();

  const std::chrono::milliseconds every_;
  std::function<void()> trim_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace h2h
