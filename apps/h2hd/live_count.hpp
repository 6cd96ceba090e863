// A count of live things (the node's session actors) that shutdown can wait
// on: the last one to end wakes the waiter, no polling.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace h2h::net {

class live_count {
public:
  /// One more is alive. Thread-safe.
  void add() {
    std::lock_guard<std::mutex> guard{mtx_};
    ++n_;
  }

  /// One ended; the last wakes wait_zero(). Thread-safe.
  void remove() {
    std::lock_guard<std::mutex> guard{mtx_};
    if (n_ > 0 && --n_ == 0)
      zero_.notify_all();
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return n_;
  }

  /// Waits until none is alive, at most `timeout`; false on timeout.
  bool wait_zero(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock{mtx_};
    return zero_.wait_for(lock, timeout, [this] { return n_ == 0; });
  }

private:
  mutable std::mutex mtx_;
  std::condition_variable zero_;
  std::size_t n_ = 0;
};

} // namespace h2h::net
