// The store pool with real threads: a bounded number of jobs waiting, and
// no job stuck behind a slow one while another worker is free.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <thread>

#include "actors/store/store_pool.hpp"
#include "persistence/sql/sql_store.hpp"

namespace {

using namespace std::chrono_literals;

class store_pool_test : public ::testing::Test {
protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    dir_
      = "/tmp/h2h-pool-" + std::to_string(getpid()) + "-" + std::to_string(++n);
    std::filesystem::create_directories(dir_);
    open_ = h2h::make_store_factory("sqlite", dir_ + "/h2h.db", "");
    open_()->migrate();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// A job that says when it started and then waits for `gate` (bounded,
  /// so a failing test cannot hang).
  static h2h::store_job blocking(std::shared_future<void> gate,
                                 std::shared_ptr<std::atomic<int>> started) {
    return [gate, started](h2h::store&) {
      ++*started;
      gate.wait_for(10s);
    };
  }

  static bool wait_for(const std::function<bool()>& cond) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!cond()) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(2ms); // other threads do the work
    }
    return true;
  }

  std::string dir_;
  h2h::store_factory open_;
};

TEST_F(store_pool_test, a_full_pool_refuses_new_jobs_until_one_finishes) {
  h2h::store_pool pool{open_, 2, 2};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  auto started = std::make_shared<std::atomic<int>>(0);
  auto failed = [](const h2h::store_error&) { ADD_FAILURE() << "failed"; };
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(pool.try_submit(blocking(gate, started), failed)) << i;
  EXPECT_TRUE(wait_for([&] { return started->load() == 2; }))
    << "two workers run, two jobs wait";
  EXPECT_EQ(pool.in_flight(), 4u);
  EXPECT_FALSE(
    pool.try_submit([](h2h::store&) { ADD_FAILURE() << "ran"; }, failed))
    << "two jobs run and max_waiting (2) wait";
  bool refused = false;
  pool.submit([](h2h::store&) { ADD_FAILURE() << "ran"; },
              [&](const h2h::store_error&) { refused = true; });
  EXPECT_TRUE(refused) << "submit reports a full pool as unavailable";
  release.set_value();
  EXPECT_TRUE(wait_for([&] { return pool.in_flight() == 0; }));
  EXPECT_EQ(started->load(), 4);
  auto ran = std::make_shared<std::promise<void>>();
  EXPECT_TRUE(
    pool.try_submit([ran](h2h::store&) { ran->set_value(); }, failed));
  EXPECT_EQ(ran->get_future().wait_for(5s), std::future_status::ready);
  pool.stop();
}

// Round robin queued every other job behind a worker stuck in a slow job
// (a mail server that does not answer) while the other worker was idle.
TEST_F(store_pool_test, quick_jobs_do_not_wait_behind_a_slow_one) {
  h2h::store_pool pool{open_, 2};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  auto started = std::make_shared<std::atomic<int>>(0);
  auto failed = [](const h2h::store_error&) { ADD_FAILURE() << "failed"; };
  pool.submit(blocking(gate, started), failed);
  ASSERT_TRUE(wait_for([&] { return started->load() == 1; }));
  for (int i = 0; i < 6; ++i) {
    auto done = std::make_shared<std::promise<void>>();
    pool.submit([done](h2h::store&) { done->set_value(); }, failed);
    EXPECT_EQ(done->get_future().wait_for(2s), std::future_status::ready)
      << "quick job " << i << " waited behind the slow one";
  }
  release.set_value();
  EXPECT_TRUE(wait_for([&] { return pool.in_flight() == 0; }));
  pool.stop();
}

} // namespace
