// When the persistence actor commits what, without an actor: batch bound,
// batch window, back-off after failures, answers in the order of appends,
// and the queue bound past which appends are refused.
#include "actors/store/commit_schedule.hpp"

#include <vector>

#include <gtest/gtest.h>

using namespace h2h;
using namespace std::chrono_literals;
using step = commit_schedule::step;

namespace {

commit_limits limits(std::size_t batch_max, std::chrono::milliseconds window,
                     std::size_t queue_max = 100) {
  commit_limits l;
  l.batch_max = batch_max;
  l.batch_window = window;
  l.retry_min = 50ms;
  l.retry_max = 400ms;
  l.queue_max = queue_max;
  return l;
}

pending_append append(std::uint64_t seq) {
  pending_append p;
  p.event.room_id = "r1";
  p.event.seq = seq;
  return p;
}

std::vector<std::uint64_t> seqs(const stored_events& b) {
  std::vector<std::uint64_t> out;
  for (auto& e : b)
    out.push_back(e.seq);
  return out;
}

std::vector<std::uint64_t> seqs(const std::vector<pending_append>& b) {
  std::vector<std::uint64_t> out;
  for (auto& p : b)
    out.push_back(p.event.seq);
  return out;
}

} // namespace

TEST(commit_schedule,
     a_full_batch_commits_at_once_and_holds_at_most_batch_max) {
  commit_schedule s{limits(3, 10ms)};
  for (std::uint64_t i = 1; i <= 5; ++i)
    s.push(append(i));
  ASSERT_EQ(s.next(false), step::commit);
  EXPECT_EQ(seqs(s.start_commit()), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(s.queued(), 2u);
  EXPECT_EQ(s.next(true), step::wait) << "one commit at a time";
  s.committed();
  ASSERT_EQ(s.next(true), step::commit);
  EXPECT_EQ(seqs(s.start_commit()), (std::vector<std::uint64_t>{4, 5}));
}

TEST(commit_schedule, a_short_batch_waits_for_its_window) {
  commit_schedule s{limits(3, 10ms)};
  s.push(append(1));
  ASSERT_EQ(s.next(false), step::arm_window);
  auto gen = s.window_gen();
  s.push(append(2));
  EXPECT_EQ(s.next(false), step::wait) << "the window is armed once";
  ASSERT_TRUE(s.window_closed(gen));
  ASSERT_EQ(s.next(true), step::commit);
  EXPECT_EQ(seqs(s.start_commit()), (std::vector<std::uint64_t>{1, 2}));
}

TEST(commit_schedule, a_window_tick_after_the_batch_filled_is_stale) {
  commit_schedule s{limits(2, 10ms)};
  s.push(append(1));
  ASSERT_EQ(s.next(false), step::arm_window);
  auto gen = s.window_gen();
  s.push(append(2));
  ASSERT_EQ(s.next(false), step::commit);
  s.start_commit();
  EXPECT_FALSE(s.window_closed(gen));
  s.committed();
  s.push(append(3));
  EXPECT_EQ(s.next(false), step::arm_window) << "a new window for seq 3";
}

TEST(commit_schedule, without_a_window_every_append_commits_at_once) {
  commit_schedule s{limits(3, 0ms)};
  EXPECT_EQ(s.next(false), step::wait) << "nothing queued";
  s.push(append(1));
  EXPECT_EQ(s.next(false), step::commit);
}

TEST(commit_schedule, failures_back_off_doubling_up_to_the_maximum) {
  commit_schedule s{limits(3, 0ms)};
  s.push(append(1));
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(s.next(true), step::commit);
    s.start_commit();
    waits.push_back(s.requeue_failed());
    EXPECT_EQ(s.next(true), step::wait) << "nothing before the back-off ends";
    s.retry_due();
  }
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{50ms, 100ms, 200ms,
                                                           400ms, 400ms}));
  ASSERT_EQ(s.next(true), step::commit);
  s.start_commit();
  s.committed();
  s.push(append(2));
  s.start_commit();
  EXPECT_EQ(s.requeue_failed(), 50ms) << "a success starts the back-off over";
}

TEST(commit_schedule, a_failed_batch_goes_back_in_front_in_order) {
  commit_schedule s{limits(2, 0ms)};
  s.push(append(1));
  s.push(append(2));
  s.start_commit();
  s.push(append(3));
  s.requeue_failed();
  s.retry_due();
  ASSERT_EQ(s.next(true), step::commit);
  EXPECT_EQ(seqs(s.start_commit()), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(seqs(s.batch()), (std::vector<std::uint64_t>{1, 2}))
    << "answers go to the appends in the order of the batch";
  s.committed();
  EXPECT_EQ(seqs(s.start_commit()), (std::vector<std::uint64_t>{3}));
}

TEST(commit_schedule, the_answer_of_a_commit_given_up_does_not_count) {
  commit_schedule s{limits(2, 0ms)};
  s.push(append(1));
  s.start_commit();
  auto first = s.commit_gen();
  EXPECT_TRUE(s.is_current(first));
  s.requeue_failed(); // its deadline passed
  EXPECT_FALSE(s.is_current(first));
  s.retry_due();
  s.start_commit();
  EXPECT_FALSE(s.is_current(first));
  EXPECT_TRUE(s.is_current(s.commit_gen()));
}

TEST(commit_schedule, appends_waiting_or_in_flight_count_toward_the_bound) {
  commit_schedule s{limits(2, 0ms, 3)};
  s.push(append(1));
  s.push(append(2));
  EXPECT_FALSE(s.full());
  s.push(append(3));
  EXPECT_TRUE(s.full());
  s.start_commit();
  EXPECT_TRUE(s.full()) << "two in flight and one queued still wait";
  s.refused();
  EXPECT_FALSE(s.full());
  EXPECT_FALSE(s.idle());
  s.start_commit();
  s.committed();
  EXPECT_TRUE(s.idle());
}
