// The stops of a node's components, run in reverse order of the starts.
#include "apps/h2hd/stop_stack.hpp"

#include <chrono>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

namespace h2h::net {

stop_stack::~stop_stack() {
  run_all();
}

void stop_stack::push(std::string name, std::function<void()> stop) {
  stops_.push_back({std::move(name), std::move(stop)});
}

void stop_stack::run_all() {
  while (!stops_.empty()) {
    // Taken off first: a stop runs once even when it throws.
    auto e = std::move(stops_.back());
    stops_.pop_back();
    auto begin = std::chrono::steady_clock::now();
    try {
      e.stop();
    } catch (const std::exception& ex) {
      spdlog::error("stopping {} failed: {}", e.name, ex.what());
    } catch (...) {
      spdlog::error("stopping {} failed", e.name);
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - begin);
    spdlog::info("stopped {} in {} ms", e.name, took.count());
  }
}

} // namespace h2h::net
