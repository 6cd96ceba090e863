// Where blocking store jobs run (a store_pool, or the caller's thread in
// tests): typed jobs that return a value and never see an exception.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "actors/store/store_errors.hpp"

namespace h2h {

/// A job as a runner sees it: compute on a store, then report. Never
/// thrown through: the runner catches what `compute` throws.
class store_job {
public:
  virtual ~store_job() = default;
  /// Does the store work; may throw (translated by the runner).
  virtual void compute(store& db) = 0;
  /// Reports the value `compute` made (called outside any catch).
  virtual void deliver() = 0;
  /// Reports a failure instead (compute threw, or never ran).
  virtual void fail(store_fault why) = 0;
};

class store_runner {
public:
  virtual ~store_runner() = default;

  /// Queues `work`; `done` gets its value or its translated failure, on
  /// the thread that ran it. False when the runner is full: then `done`
  /// is never called. Thread-safe.
  template <class T>
  bool try_run(std::function<T(store&)> work,
               std::function<void(store_result<T>)> done) {
    std::unique_ptr<store_job> job
      = std::make_unique<typed_job<T>>(std::move(work), std::move(done));
    return enqueue(job);
  }

  /// Like try_run; a full runner calls `done` with an unavailable fault at
  /// once.
  template <class T>
  void run(std::function<T(store&)> work,
           std::function<void(store_result<T>)> done) {
    std::unique_ptr<store_job> job
      = std::make_unique<typed_job<T>>(std::move(work), std::move(done));
    if (!enqueue(job))
      job->fail(make_fault(store_failure::unavailable, "too busy, retry"));
  }

  /// Takes `job` (and returns true), or leaves it there when full.
  virtual bool enqueue(std::unique_ptr<store_job>& job) = 0;

private:
  template <class T>
  class typed_job final : public store_job {
  public:
    typed_job(std::function<T(store&)> work,
              std::function<void(store_result<T>)> done)
      : work_(std::move(work))
      , done_(std::move(done)) {
    }
    void compute(store& db) override {
      value_.emplace(work_(db));
    }
    void deliver() override {
      done_(store_result<T>{std::move(*value_)});
    }
    void fail(store_fault why) override {
      done_(store_result<T>{std::move(why)});
    }

  private:
    std::function<T(store&)> work_;
    std::function<void(store_result<T>)> done_;
    std::optional<T> value_;
  };
};

/// Runs a job at once on the caller's thread and store (tests, tools).
class inline_store_runner final : public store_runner {
public:
  explicit inline_store_runner(store& db)
    : db_(db) {
  }
  bool enqueue(std::unique_ptr<store_job>& job) override;

private:
  store& db_;
};

/// Runs `job` on `db` and reports; the fault when it failed (shared by
/// every runner, so a failure is reported the same way everywhere).
std::optional<store_fault> run_job_on(store_job& job, store& db);

} // namespace h2h
