// A small pool of threads that run blocking store jobs (account and room
// operations of the REST API, password hashing) on connections of
// their own: one shared queue, bounded, so a slow job never holds up
// another while a worker is free.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "actors/store/store_runner.hpp"

namespace h2h {

class store_pool final : public store_runner {
public:
  /// Starts `workers` threads named `name` (at most 15 characters show),
  /// each opening its own store connection when its first job comes. At
  /// most `workers + max_waiting` jobs are in flight, running or waiting
  /// (`max_waiting` 0: no bound).
  store_pool(store_factory open, std::size_t workers,
             std::size_t max_waiting = 0, std::string name = "h2h-store");
  ~store_pool();

  store_pool(const store_pool&) = delete;
  store_pool& operator=(const store_pool&) = delete;

  /// Queues a job for the next free worker (see store_runner::try_run).
  /// A stopped pool takes the job and fails it (unavailable) at once.
  bool enqueue(std::unique_ptr<store_job>& job) override;

  /// Jobs waiting or running.
  std::size_t in_flight() const;

  /// Stops the workers: jobs that did not start fail (unavailable), running
  /// ones finish first (each is bounded by its own timeouts). Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h
