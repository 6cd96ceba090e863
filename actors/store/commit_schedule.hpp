// When the persistence actor commits what: the queue of appends, the batch
// window, the one batch in flight and the back-off after a failed commit. A
// plain class (no actor inside): the actor calls it on each message and does
// what it answers (commit now, arm the window timer, wait).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "actors/vocabulary/type_ids.hpp"

namespace h2h {

/// An append accepted and not answered yet.
struct pending_append {
  room_event event;
  caf::typed_response_promise<publish_ack> promise;
};

/// The bounds of a commit schedule (from persistence_settings).
struct commit_limits {
  std::size_t batch_max = 512;
  std::chrono::milliseconds batch_window{2};
  std::chrono::milliseconds retry_min{50};
  std::chrono::milliseconds retry_max{5000};
  /// Appends accepted and not answered (queued or in flight) beyond which
  /// more are refused.
  std::size_t queue_max = 100000;
};

class commit_schedule {
public:
  /// What the actor does next.
  enum class step {
    wait,       // nothing now: a commit, a window or a back-off is running
    commit,     // call start_commit() and send the batch
    arm_window, // send the window tick for window_gen() after the window
  };

  explicit commit_schedule(commit_limits limits = {})
    : limits_(limits) {
  }

  /// True when `queue_max` appends wait (queued or in flight): the next is
  /// refused rather than queued.
  bool full() const {
    return queue_.size() + in_flight_.size() >= limits_.queue_max;
  }

  /// Queues an accepted append (check full() first).
  void push(pending_append p) {
    queue_.push_back(std::move(p));
  }

  /// What is due after a change. `force`: the window closed, or waiting
  /// longer gains nothing (a commit just ended, a flush is wanted).
  step next(bool force);

  /// The window tick `gen` came: true when it is current (then the actor
  /// asks next(true)); a tick made stale by a commit since is ignored.
  bool window_closed(std::uint64_t gen);

  /// The generation of the window tick armed last.
  std::uint64_t window_gen() const {
    return window_gen_;
  }

  /// Moves up to `batch_max` appends, oldest first, into the batch in
  /// flight and returns their events; a pending window tick becomes stale.
  stored_events start_commit();

  /// The generation of the batch in flight: an answer counts only while
  /// is_current() holds for it (a late answer to a
  /// commit given up is ignored: its appends are retried).
  std::uint64_t commit_gen() const {
    return commit_gen_;
  }
  bool is_current(std::uint64_t gen) const {
    return committing_ && commit_gen_ == gen;
  }

  /// The appends of the batch in flight, in the order of the batch (the
  /// store answers each in that order).
  std::vector<pending_append>& batch() {
    return in_flight_;
  }

  /// The batch was answered (each append of batch() with its own outcome):
  /// it is done, and the back-off starts over.
  void committed();

  /// The batch was refused for good (e.g. a seq conflict; batch() answered
  /// with the error): it is done, with no retry and no back-off.
  void refused();

  /// The commit failed (store down, or no answer by its deadline): its
  /// appends go back to the front of the queue, in order, and nothing is
  /// committed until retry_due(). Returns the back-off to wait: retry_min,
  /// doubling after each failure up to retry_max.
  std::chrono::milliseconds requeue_failed();

  /// The back-off is over.
  void retry_due() {
    retry_armed_ = false;
  }

  /// Nothing queued and nothing in flight (a flush may be answered).
  bool idle() const {
    return queue_.empty() && !committing_;
  }

  bool committing() const {
    return committing_;
  }
  std::size_t queued() const {
    return queue_.size();
  }
  std::size_t in_flight_size() const {
    return in_flight_.size();
  }
  std::chrono::milliseconds backoff() const {
    return backoff_;
  }
  const commit_limits& limits() const {
    return limits_;
  }

private:
  commit_limits limits_;
  std::deque<pending_append> queue_;
  std::vector<pending_append> in_flight_;
  bool committing_ = false;
  std::uint64_t commit_gen_ = 0;
  bool window_armed_ = false;
  std::uint64_t window_gen_ = 0;
  bool retry_armed_ = false;
  std::chrono::milliseconds backoff_{0};
};

} // namespace h2h
