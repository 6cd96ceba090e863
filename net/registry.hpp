// Live connections of the public port, for limits, counts and shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <queue>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace h2h::net {

/// Something the server can ask to go away (close 1001, or just close).
class closable {
public:
  virtual ~closable() = default;
  /// Starts a graceful close; thread-safe.
  virtual void shutdown() = 0;
  /// Closes at once; only while no I/O thread runs (end of shutdown).
  virtual void abort_now() = 0;
  /// The access token behind the connection expired; thread-safe.
  virtual void expire() {
  }
};

/// The set of open connections. Thread-safe.
class registry {
public:
  /// Adds a connection; returns its id.
  std::uint64_t add(std::weak_ptr<closable> c) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto id = ++next_id_;
    live_.emplace(id, std::move(c));
    return id;
  }

  void remove(std::uint64_t id) {
    std::lock_guard<std::mutex> guard{mtx_};
    live_.erase(id);
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return live_.size();
  }

  /// Asks every connection to close.
  void shutdown_all() {
    std::vector<std::shared_ptr<closable>> all;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      for (auto& [id, weak] : live_)
        if (auto c = weak.lock())
          all.push_back(std::move(c));
    }
    for (auto& c : all)
      c->shutdown();
  }

  /// Calls expire() on connection `id` at `deadline` (see expire_due) if it
  /// is still open. One heap entry per authenticated connection instead of
  /// a timer each; it holds only the id, so a closed connection's memory is
  /// not kept until its token would have expired.
  void expire_at(std::chrono::steady_clock::time_point deadline,
                 std::uint64_t id) {
    std::lock_guard<std::mutex> guard{mtx_};
    expiries_.push({deadline, id});
  }

  void expire_due(std::chrono::steady_clock::time_point now) {
    std::vector<std::shared_ptr<closable>> due;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      while (!expiries_.empty() && expiries_.top().deadline <= now) {
        auto i = live_.find(expiries_.top().id);
        if (i != live_.end())
          if (auto c = i->second.lock())
            due.push_back(std::move(c));
        expiries_.pop();
      }
    }
    for (auto& c : due)
      c->expire();
  }

  void abort_all() {
    std::vector<std::shared_ptr<closable>> all;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      for (auto& [id, weak] : live_)
        if (auto c = weak.lock())
          all.push_back(std::move(c));
    }
    for (auto& c : all)
      c->abort_now();
  }

private:
  mutable std::mutex mtx_;
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<closable>> live_;
  struct expiry {
    std::chrono::steady_clock::time_point deadline;
    std::uint64_t id;
    bool operator<(const expiry& other) const {
      return deadline > other.deadline; // earliest on top
    }
  };
  std::priority_queue<expiry> expiries_;
};

/// Counters of the public port, read by /metrics.
struct net_counters {
  std::atomic<std::uint64_t> ws_opened{0};
  std::atomic<std::uint64_t> ws_closed{0};
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> slow_consumers{0};
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> refused_connections{0};
};

} // namespace h2h::net
