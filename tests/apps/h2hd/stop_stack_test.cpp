// The node's stop stack (stops run once each, in reverse order of the
// starts, also when a later start throws) and the live count shutdown
// waits on.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "apps/h2hd/live_count.hpp"
#include "apps/h2hd/stop_stack.hpp"

using h2h::net::live_count;
using h2h::net::stop_stack;
using namespace std::chrono_literals;

namespace {

/// Starts components a, b, c (c's start may throw), each pushing its stop
/// right after its start, the way the node does.
void start_all(stop_stack& stops, std::vector<std::string>& log,
               bool c_throws) {
  for (std::string name : {"a", "b", "c"}) {
    if (name == "c" && c_throws)
      throw std::runtime_error("c cannot start");
    log.push_back("start " + name);
    stops.push(name, [&log, name] { log.push_back("stop " + name); });
  }
}

} // namespace

TEST(stop_stack, stops_run_in_reverse_order_of_the_starts_once_each) {
  std::vector<std::string> log;
  stop_stack stops;
  start_all(stops, log, false);
  EXPECT_EQ(stops.size(), 3u);
  stops.run_all();
  stops.run_all(); // nothing left to run
  EXPECT_EQ(log, (std::vector<std::string>{"start a", "start b", "start c",
                                           "stop c", "stop b", "stop a"}));
  EXPECT_EQ(stops.size(), 0u);
}

TEST(stop_stack, a_start_that_throws_stops_what_did_start_in_reverse) {
  std::vector<std::string> log;
  {
    stop_stack stops;
    try {
      start_all(stops, log, true);
      FAIL() << "c's start should have thrown";
    } catch (const std::runtime_error&) {
      stops.run_all(); // as the node's constructor does
    }
  }
  EXPECT_EQ(
    log, (std::vector<std::string>{"start a", "start b", "stop b", "stop a"}));
}

TEST(stop_stack, its_destructor_runs_the_stops_not_run_yet) {
  std::vector<std::string> log;
  try {
    stop_stack stops;
    start_all(stops, log, true);
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(
    log, (std::vector<std::string>{"start a", "start b", "stop b", "stop a"}));
}

TEST(stop_stack, a_stop_that_throws_does_not_keep_the_others_from_running) {
  std::vector<std::string> log;
  stop_stack stops;
  stops.push("a", [&] { log.push_back("stop a"); });
  stops.push("b", [] { throw std::runtime_error("b is stuck"); });
  stops.push("c", [&] { log.push_back("stop c"); });
  stops.run_all();
  EXPECT_EQ(log, (std::vector<std::string>{"stop c", "stop a"}));
  EXPECT_EQ(stops.size(), 0u) << "the throwing stop is not run again";
}

TEST(stop_stack, a_stop_pushed_while_stopping_runs_too) {
  std::vector<std::string> log;
  stop_stack stops;
  stops.push("a", [&] {
    log.push_back("stop a");
    stops.push("late", [&] { log.push_back("stop late"); });
  });
  stops.run_all();
  EXPECT_EQ(log, (std::vector<std::string>{"stop a", "stop late"}));
}

TEST(live_count, waiting_for_zero_returns_at_once_when_none_is_alive) {
  live_count n;
  EXPECT_TRUE(n.wait_zero(0ms));
  n.add();
  n.remove();
  n.remove(); // one too many is ignored
  EXPECT_EQ(n.size(), 0u);
  EXPECT_TRUE(n.wait_zero(0ms));
}

TEST(live_count, the_last_one_to_end_wakes_the_waiter) {
  live_count n;
  n.add();
  n.add();
  EXPECT_FALSE(n.wait_zero(1ms)) << "two are alive";
  std::thread ender{[&] {
    n.remove();
    n.remove();
  }};
  // Bounded, yet far beyond what the other thread needs.
  EXPECT_TRUE(n.wait_zero(10s));
  ender.join();
  EXPECT_EQ(n.size(), 0u);
}
