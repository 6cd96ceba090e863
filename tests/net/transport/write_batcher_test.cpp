// The write batcher of an I/O thread: writes asked for from other threads
// reach their connections on the I/O thread, lazy ones once per delay for
// all who asked meanwhile (label tsan: run in build-tsan too).
#include "net/transport/io_worker.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>

using h2h::net::flushable;
using h2h::net::io_worker;

namespace {

/// Counts its flushes; checks they run on the I/O thread.
struct counting : flushable {
  std::thread::id io_thread;
  std::atomic<int> flushes{0};
  std::atomic<int> lazy_flushes{0};
  std::atomic<int> wrong_thread{0};

  void flush() override {
    check();
    flushes.fetch_add(1);
  }
  void flush_lazy() override {
    check();
    lazy_flushes.fetch_add(1);
  }
  void check() {
    if (std::this_thread::get_id() != io_thread)
      wrong_thread.fetch_add(1);
  }
};

} // namespace

TEST(write_batcher, lazy_writes_of_one_delay_are_flushed_together) {
  // An hour: the timer cannot come due while the test looks.
  io_worker w{std::chrono::hours{1}};
  auto a = std::make_shared<counting>();
  auto b = std::make_shared<counting>();
  a->io_thread = b->io_thread = std::this_thread::get_id();
  w.batcher.schedule_lazy(a);
  w.batcher.schedule_lazy(b);
  w.batcher.schedule(a);
  w.io.run_for(std::chrono::milliseconds{50});
  // The eager write went at once; the lazy ones wait for their delay.
  EXPECT_EQ(a->flushes.load(), 1);
  EXPECT_EQ(a->lazy_flushes.load(), 0);
  EXPECT_EQ(b->lazy_flushes.load(), 0);
}

TEST(write_batcher, without_a_delay_a_lazy_write_is_an_ordinary_post) {
  io_worker w;
  EXPECT_FALSE(w.batcher.lazy_enabled());
  auto a = std::make_shared<counting>();
  a->io_thread = std::this_thread::get_id();
  w.batcher.schedule_lazy(a);
  w.io.run_for(std::chrono::seconds{5});
  EXPECT_EQ(a->lazy_flushes.load(), 1);
}

TEST(write_batcher, every_lazy_write_asked_for_from_any_thread_comes_due) {
  // Four threads ask for lazy and eager writes of shared connections while
  // the I/O thread drains them: each request is answered exactly once, on
  // the I/O thread.
  constexpr int threads_n = 4;
  constexpr int per_thread = 2000;
  io_worker w{std::chrono::milliseconds{1}};
  auto guard = boost::asio::make_work_guard(w.io);
  std::vector<std::shared_ptr<counting>> conns;
  for (int i = 0; i < 8; ++i)
    conns.push_back(std::make_shared<counting>());
  std::thread io([&] { w.io.run(); });
  // Set before anyone asks: each ask (a lock, a post) publishes it.
  for (auto& c : conns)
    c->io_thread = io.get_id();
  std::vector<std::thread> askers;
  for (int t = 0; t < threads_n; ++t)
    askers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto& c = conns[static_cast<std::size_t>(i + t) % conns.size()];
        if (i % 4 == 0)
          w.batcher.schedule(c);
        else
          w.batcher.schedule_lazy(c);
      }
    });
  for (auto& t : askers)
    t.join();
  const int eager = threads_n * per_thread / 4;
  const int lazy = threads_n * per_thread - eager;
  // Bounded: every request is due within a millisecond; ten seconds is a
  // broken batcher, not a slow machine.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  auto total = [&](auto member) {
    int n = 0;
    for (auto& c : conns)
      n += ((*c).*member).load();
    return n;
  };
  while (
    (total(&counting::flushes) < eager || total(&counting::lazy_flushes) < lazy)
    && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  guard.reset();
  w.io.stop();
  io.join();
  EXPECT_EQ(total(&counting::flushes), eager);
  EXPECT_EQ(total(&counting::lazy_flushes), lazy);
  EXPECT_EQ(total(&counting::wrong_thread), 0);
}
