// The write batcher of an I/O thread: writes asked for from other threads
// reach their connections on the I/O thread, lazy ones once per delay for
// all who asked meanwhile, and with a send batch a turn's writes go to the
// kernel in one submission (label tsan: run in build-tsan too).
#include "net/transport/io_worker.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>

using h2h::net::batch_client;
using h2h::net::flushable;
using h2h::net::io_settings;
using h2h::net::io_worker;
using h2h::net::send_batch;
using h2h::net::write_batcher;

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
  io_worker w{io_settings{std::chrono::hours{1}}};
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
  io_worker w{io_settings{std::chrono::milliseconds{1}}};
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

namespace {

/// A send batch that records what it is given instead of writing.
struct recording_batch : send_batch {
  std::vector<batch_client*> added;
  int submits = 0;
  int adds_at_submit = 0;
  bool fail = false;

  void add(int, const boost::asio::const_buffer*, std::size_t,
           batch_client& to) override {
    added.push_back(&to);
  }
  void submit() override {
    ++submits;
    adds_at_submit = static_cast<int>(added.size());
    for (auto* c : added)
      c->sent(0);
    added.clear();
  }
  bool broken() const override {
    return fail;
  }
};

/// A connection that adds one write per batched flush.
struct batching : flushable, batch_client {
  int flushes = 0;
  int batched = 0;
  int answers = 0;

  void flush() override {
    ++flushes;
  }
  void flush_into(send_batch& b) override {
    ++batched;
    b.add(-1, nullptr, 0, *this);
  }
  void sent(long) override {
    ++answers;
  }
};

} // namespace

TEST(write_batcher, a_turns_writes_go_to_the_kernel_in_one_submission) {
  boost::asio::io_context io;
  auto batch = std::make_unique<recording_batch>();
  auto* seen = batch.get();
  write_batcher b{io, {}, std::move(batch)};
  EXPECT_TRUE(b.batched());
  std::vector<std::shared_ptr<batching>> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(std::make_shared<batching>());
    b.schedule(conns.back());
  }
  io.run_for(std::chrono::seconds{5});
  EXPECT_EQ(seen->submits, 1);
  EXPECT_EQ(seen->adds_at_submit, 3);
  for (auto& c : conns) {
    EXPECT_EQ(c->batched, 1);
    EXPECT_EQ(c->answers, 1);
    EXPECT_EQ(c->flushes, 0);
  }
}

TEST(write_batcher, a_broken_batch_is_dropped_and_connections_write_alone) {
  boost::asio::io_context io;
  auto batch = std::make_unique<recording_batch>();
  batch->fail = true; // the kernel refused a submission
  write_batcher b{io, {}, std::move(batch)};
  auto c = std::make_shared<batching>();
  b.schedule(c);
  io.run_for(std::chrono::seconds{5});
  EXPECT_EQ(c->batched, 1);
  EXPECT_FALSE(b.batched());
  b.schedule(c);
  io.restart();
  io.run_for(std::chrono::seconds{5});
  EXPECT_EQ(c->batched, 1);
  EXPECT_EQ(c->flushes, 1);
}
