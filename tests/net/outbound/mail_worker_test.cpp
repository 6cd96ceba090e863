// The mail worker with real threads: mails run off the caller's thread, a
// full queue (reserved places included) refuses, and stop drops what waits
// while the mail being sent ends.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "net/outbound/mail_worker.hpp"

namespace {

using namespace std::chrono_literals;
using h2h::net::mail_job;
using h2h::net::mail_ticket;
using h2h::net::mail_worker;

/// A mail that says it started, then waits for `gate` (bounded, so a
/// failing test cannot hang).
mail_job blocking(std::shared_future<void> gate,
                  std::shared_ptr<std::promise<void>> started) {
  return {[gate, started] {
            started->set_value();
            gate.wait_for(10s);
          },
          [] { ADD_FAILURE() << "the running mail was dropped"; }};
}

mail_job never_sent(std::shared_ptr<std::atomic<int>> dropped) {
  return {[] { ADD_FAILURE() << "sent"; }, [dropped] { ++*dropped; }};
}

TEST(mail_worker, a_mail_is_sent_off_the_callers_thread) {
  mail_worker w{2, 4};
  std::promise<std::thread::id> ran;
  ASSERT_TRUE(w.try_submit({[&] { ran.set_value(std::this_thread::get_id()); },
                            [] { ADD_FAILURE() << "dropped"; }}));
  auto f = ran.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_NE(f.get(), std::this_thread::get_id());
  w.stop();
}

TEST(mail_worker, a_full_worker_refuses_until_a_mail_is_sent) {
  mail_worker w{1, 1};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  auto started = std::make_shared<std::promise<void>>();
  ASSERT_TRUE(w.try_submit(blocking(gate, started)));
  ASSERT_EQ(started->get_future().wait_for(5s), std::future_status::ready);
  auto second = std::make_shared<std::promise<void>>();
  ASSERT_TRUE(w.try_submit(
    {[second] { second->set_value(); }, [] { ADD_FAILURE() << "dropped"; }}))
    << "one sending, one waiting (queue_max 1)";
  EXPECT_EQ(w.in_flight(), 2u);
  auto dropped = std::make_shared<std::atomic<int>>(0);
  EXPECT_FALSE(w.try_submit(never_sent(dropped)));
  EXPECT_FALSE(w.reserve()) << "no place to reserve either";
  EXPECT_EQ(dropped->load(), 0) << "a refused mail is not dropped later";
  release.set_value();
  ASSERT_EQ(second->get_future().wait_for(5s), std::future_status::ready);
  // The worker counts a mail done after its closure died; reserve until
  // the place is back (bounded by the ready future above: quick).
  auto deadline = std::chrono::steady_clock::now() + 5s;
  mail_ticket t;
  while (!(t = w.reserve()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_TRUE(t) << "a place is free again";
  w.stop();
}

TEST(mail_worker, a_reserved_place_counts_until_used_or_given_back) {
  mail_worker w{1, 1};
  auto a = w.reserve();
  auto b = w.reserve();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(w.in_flight(), 2u);
  EXPECT_FALSE(w.reserve()) << "both places are reserved";
  a = mail_ticket{}; // given back unused
  EXPECT_EQ(w.in_flight(), 1u);
  auto c = w.reserve();
  EXPECT_TRUE(c);
  std::promise<void> sent;
  b.submit({[&] { sent.set_value(); }, [] { ADD_FAILURE() << "dropped"; }});
  EXPECT_FALSE(b) << "a ticket is used once";
  EXPECT_EQ(sent.get_future().wait_for(5s), std::future_status::ready);
  w.stop();
}

TEST(mail_worker, stop_drops_waiting_mails_and_lets_the_sending_one_end) {
  mail_worker w{1, 4};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  auto started = std::make_shared<std::promise<void>>();
  auto sent = std::make_shared<std::atomic<bool>>(false);
  auto running = blocking(gate, started);
  ASSERT_TRUE(w.try_submit({[send = running.send, sent] {
                              send();
                              *sent = true;
                            },
                            running.dropped}));
  ASSERT_EQ(started->get_future().wait_for(5s), std::future_status::ready);
  auto dropped = std::make_shared<std::atomic<int>>(0);
  ASSERT_TRUE(w.try_submit(never_sent(dropped)));
  ASSERT_TRUE(w.try_submit(never_sent(dropped)));
  auto late = w.reserve(); // its mail comes after stop
  ASSERT_TRUE(late);
  auto stopped = std::async(std::launch::async, [&] { w.stop(); });
  // stop drops the waiting mails before it waits for the sending one.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (dropped->load() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_EQ(dropped->load(), 2);
  EXPECT_EQ(stopped.wait_for(0s), std::future_status::timeout)
    << "stop did not wait for the mail being sent";
  release.set_value();
  ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(*sent) << "the mail being sent ended";
  late.submit(never_sent(dropped));
  EXPECT_EQ(dropped->load(), 3) << "a mail after stop is dropped at once";
  auto after = w.reserve();
  ASSERT_TRUE(after);
  after.submit(never_sent(dropped));
  EXPECT_EQ(dropped->load(), 4);
}

} // namespace
