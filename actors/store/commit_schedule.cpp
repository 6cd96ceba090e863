// When the persistence actor commits what (see commit_schedule.hpp).
#include "actors/store/commit_schedule.hpp"

#include <algorithm>

namespace h2h {

commit_schedule::step commit_schedule::next(bool force) {
  if (committing_ || retry_armed_ || queue_.empty())
    return step::wait;
  if (force || queue_.size() >= limits_.batch_max
      || limits_.batch_window.count() == 0)
    return step::commit;
  if (window_armed_)
    return step::wait;
  window_armed_ = true;
  ++window_gen_;
  return step::arm_window;
}

bool commit_schedule::window_closed(std::uint64_t gen) {
  if (gen != window_gen_)
    return false;
  window_armed_ = false;
  return true;
}

stored_events commit_schedule::start_commit() {
  window_armed_ = false;
  ++window_gen_; // a pending window tick is stale now
  auto n = std::min(queue_.size(), std::max<std::size_t>(limits_.batch_max, 1));
  stored_events batch;
  batch.reserve(n);
  in_flight_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    batch.push_back(queue_.front().event);
    in_flight_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  committing_ = true;
  ++commit_gen_;
  return batch;
}

void commit_schedule::committed() {
  backoff_ = std::chrono::milliseconds{0};
  refused();
}

void commit_schedule::refused() {
  committing_ = false;
  in_flight_.clear(); // keeps its capacity for the next batch
}

std::chrono::milliseconds commit_schedule::requeue_failed() {
  committing_ = false;
  // The store's keys make a repeated commit harmless.
  for (auto i = in_flight_.rbegin(); i != in_flight_.rend(); ++i)
    queue_.push_front(std::move(*i));
  in_flight_.clear();
  backoff_ = backoff_.count() == 0 ? limits_.retry_min
                                   : std::min(backoff_ * 2, limits_.retry_max);
  retry_armed_ = true;
  return backoff_;
}

} // namespace h2h
