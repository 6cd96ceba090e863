// Gives the memory a burst left behind back to the system.
#include "apps/h2hd/memory_trim.hpp"

#include <cstdio>
#include <pthread.h>
#include <unistd.h>

#if defined(__GLIBC__)
#  include <malloc.h>
#endif

#include <spdlog/spdlog.h>

namespace h2h {

namespace {

/// Resident set size of this process in KiB (0 when unknown).
std::int64_t rss_kb() {
  long pages_total = 0;
  long pages_resident = 0;
  auto* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr)
    return 0;
  auto n = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  if (n != 2)
    return 0;
  return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/// Logs a trim that gave back at least this much.
constexpr std::int64_t worth_logging_kb = 1024;

} // namespace

trim_result trim_memory() {
  trim_result r;
  r.rss_before_kb = rss_kb();
  auto start = std::chrono::steady_clock::now();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  r.took = std::chrono::duration_cast<std::chrono::microseconds>(
    std::chrono::steady_clock::now() - start);
  r.rss_after_kb = rss_kb();
  return r;
}

memory_trimmer::memory_trimmer(std::chrono::milliseconds every,
                               std::function<void()> trim)
  : every_(every)
  , trim_(std::move(trim)) {
  if (!trim_)
    trim_ = [] {
      auto r = trim_memory();
      auto freed = r.rss_before_kb - r.rss_after_kb;
      if (freed >= worth_logging_kb)
        spdlog::info("memory trim gave back {} MiB (RSS {} -> {} MiB) in "
                     "{} ms",
                     freed / 1024, r.rss_before_kb / 1024,
                     r.rss_after_kb / 1024, r.took.count() / 1000);
    };
  thread_ = std::thread{[this] { run(); }};
}

memory_trimmer::~memory_trimmer() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void memory_trimmer::run() {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "h2h-trim");
#endif
  std::unique_lock<std::mutex> guard{mtx_};
  while (!cv_.wait_for(guard, every_, [this] { return stopping_; })) {
    guard.unlock();
    trim_();
    guard.lock();
  }
}

} // namespace h2h
