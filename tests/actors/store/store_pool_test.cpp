// The store pool with real threads: typed jobs deliver their value or a
// translated fault, a bounded number of jobs waiting, no job stuck behind a
// slow one while another worker is free, and a stop that fails what waits.
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
  static std::function<int(h2h::store&)>
  blocking(std::shared_future<void> gate,
           std::shared_ptr<std::atomic<int>> started) {
    return [gate, started](h2h::store&) {
      ++*started;
      gate.wait_for(10s);
      return 1;
    };
  }

  /// A done callback that must not be called with a fault.
  static std::function<void(h2h::store_result<int>)> no_fault() {
    return [](h2h::store_result<int> r) {
      if (!r)
        ADD_FAILURE() << "failed: " << r.error().detail;
    };
  }

  /// A job that must never run.
  static std::function<int(h2h::store&)> never() {
    return [](h2h::store&) {
      ADD_FAILURE() << "ran";
      return 0;
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
  auto failed = no_fault();
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(pool.try_run(blocking(gate, started), failed)) << i;
  EXPECT_TRUE(wait_for([&] { return started->load() == 2; }))
    << "two workers run, two jobs wait";
  EXPECT_EQ(pool.in_flight(), 4u);
  EXPECT_FALSE(pool.try_run(never(), failed))
    << "two jobs run and max_waiting (2) wait";
  bool refused = false;
  pool.run(
    never(),
    std::function<void(h2h::store_result<int>)>{[&](h2h::store_result<int> r) {
      refused = !r && r.error().code == h2h::errc::unavailable;
    }});
  EXPECT_TRUE(refused) << "run reports a full pool as unavailable";
  release.set_value();
  EXPECT_TRUE(wait_for([&] { return pool.in_flight() == 0; }));
  EXPECT_EQ(started->load(), 4);
  auto ran = std::make_shared<std::promise<void>>();
  EXPECT_TRUE(pool.try_run(std::function<int(h2h::store&)>{[ran](h2h::store&) {
                             ran->set_value();
                             return 0;
                           }},
                           failed));
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
  auto failed = no_fault();
  pool.run(blocking(gate, started), failed);
  ASSERT_TRUE(wait_for([&] { return started->load() == 1; }));
  for (int i = 0; i < 6; ++i) {
    auto done = std::make_shared<std::promise<void>>();
    pool.run(std::function<int(h2h::store&)>{[done](h2h::store&) {
               done->set_value();
               return 0;
             }},
             failed);
    EXPECT_EQ(done->get_future().wait_for(2s), std::future_status::ready)
      << "quick job " << i << " waited behind the slow one";
  }
  release.set_value();
  EXPECT_TRUE(wait_for([&] { return pool.in_flight() == 0; }));
  pool.stop();
}

TEST_F(store_pool_test, a_job_delivers_its_value_from_a_worker_thread) {
  h2h::store_pool pool{open_, 2};
  std::promise<std::pair<std::string, std::thread::id>> got;
  pool.run(std::function<std::string(h2h::store&)>{[](h2h::store& db) {
             db.ping();
             return std::string{"pong"};
           }},
           std::function<void(h2h::store_result<std::string>)>{
             [&](h2h::store_result<std::string> r) {
               got.set_value({r ? *r : "fault: " + r.error().detail,
                              std::this_thread::get_id()});
             }});
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  auto [value, thread] = f.get();
  EXPECT_EQ(value, "pong");
  EXPECT_NE(thread, std::this_thread::get_id()) << "ran on the caller";
  pool.stop();
}

// The job throws; `done` sees the translated fault (never the exception),
// the same errc for a kind as everywhere else (store_errors.hpp).
TEST_F(store_pool_test, a_store_error_reaches_done_translated_once) {
  h2h::store_pool pool{open_, 1};
  struct case_t {
    h2h::store_failure kind;
    h2h::errc code;
  };
  for (auto c :
       {case_t{h2h::store_failure::unavailable, h2h::errc::unavailable},
        case_t{h2h::store_failure::fatal, h2h::errc::internal},
        case_t{h2h::store_failure::conflict, h2h::errc::seq_conflict},
        case_t{h2h::store_failure::permanent, h2h::errc::internal}}) {
    std::promise<h2h::store_result<int>> got;
    pool.run(std::function<int(h2h::store&)>{[c](h2h::store&) -> int {
               throw h2h::store_error(c.kind, "test: broken");
             }},
             std::function<void(h2h::store_result<int>)>{
               [&](h2h::store_result<int> r) { got.set_value(std::move(r)); }});
    auto f = got.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    auto r = f.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, c.kind);
    EXPECT_EQ(r.error().code, c.code);
    EXPECT_EQ(r.error().detail, "test: broken");
  }
  // Any other exception is fatal, and the pool goes on working.
  std::promise<h2h::store_result<int>> got;
  pool.run(std::function<int(h2h::store&)>{[](h2h::store&) -> int {
             throw std::logic_error("test: a bug");
           }},
           std::function<void(h2h::store_result<int>)>{
             [&](h2h::store_result<int> r) { got.set_value(std::move(r)); }});
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  auto r = f.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, h2h::store_failure::fatal);
  EXPECT_EQ(r.error().code, h2h::errc::internal);
  pool.stop();
}

TEST_F(store_pool_test, a_store_that_cannot_open_fails_the_job_unavailable) {
  h2h::store_pool pool{[]() -> std::unique_ptr<h2h::store> {
                         throw h2h::store_error(h2h::store_failure::unavailable,
                                                "test: down");
                       },
                       1};
  std::promise<h2h::store_result<int>> got;
  pool.run(never(),
           std::function<void(h2h::store_result<int>)>{
             [&](h2h::store_result<int> r) { got.set_value(std::move(r)); }});
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  auto r = f.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, h2h::errc::unavailable);
  EXPECT_EQ(r.error().detail, "test: down");
  pool.stop();
}

TEST_F(store_pool_test, stop_fails_queued_jobs_and_lets_the_running_one_end) {
  h2h::store_pool pool{open_, 1};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  auto started = std::make_shared<std::atomic<int>>(0);
  std::promise<h2h::store_result<int>> running;
  pool.run(blocking(gate, started), std::function<void(h2h::store_result<int>)>{
                                      [&](h2h::store_result<int> r) {
                                        running.set_value(std::move(r));
                                      }});
  ASSERT_TRUE(wait_for([&] { return started->load() == 1; }));
  std::vector<std::promise<h2h::store_result<int>>> queued(2);
  for (auto& q : queued)
    pool.run(never(),
             std::function<void(h2h::store_result<int>)>{
               [&q](h2h::store_result<int> r) { q.set_value(std::move(r)); }});
  EXPECT_EQ(pool.in_flight(), 3u);
  std::thread stopper{[&] { pool.stop(); }};
  for (auto& q : queued) {
    auto f = q.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready)
      << "a queued job was not failed while the running one holds stop";
    auto r = f.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, h2h::errc::unavailable);
    EXPECT_EQ(r.error().detail, "shutting down");
  }
  release.set_value();
  stopper.join();
  auto f = running.get_future();
  ASSERT_EQ(f.wait_for(0s), std::future_status::ready)
    << "stop returned before the running job ended";
  auto r = f.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 1);
  // After stop a job fails at once.
  bool failed = false;
  pool.run(never(), std::function<void(h2h::store_result<int>)>{
                      [&](h2h::store_result<int> r2) { failed = !r2; }});
  EXPECT_TRUE(failed);
}

} // namespace
