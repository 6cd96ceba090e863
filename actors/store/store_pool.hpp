// A small pool of threads that run blocking store jobs (account and room
// operations of the REST API, password hashing, mail) on connections of
// their own: one shared queue, bounded, so a slow job never holds up
// another while a worker is free.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "persistence/store.hpp"

namespace h2h {

/// Work that needs the store; runs on a worker thread and reports its result
/// itself (e.g. by calling an HTTP responder).
using store_job = std::function<void(store&)>;

/// Called with a job when the store could not be opened for it (or the pool
/// stopped before the job started).
using store_job_failed = std::function<void(const store_error&)>;

class store_pool {
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

  /// Queues a job for the next free worker. Thread-safe. False when the
  /// pool is full: then neither callback is ever called.
  bool try_submit(store_job job, store_job_failed failed);

  /// Like try_submit; a full pool calls `failed` (unavailable) at once.
  void submit(store_job job, store_job_failed failed);

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
