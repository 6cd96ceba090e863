// One I/O thread with its own io_context, and the batcher that turns many
// queued sends into one wake-up of that thread. Connections are pinned to
// one worker, so their handlers never run concurrently (no strands).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/transport/send_batch.hpp"

namespace h2h::net {

/// Something with queued bytes to write on its I/O thread (a transport).
class flushable {
public:
  virtual ~flushable() = default;
  /// Writes what is queued (I/O thread).
  virtual void flush() = 0;
  /// The lazy write asked for with write_batcher::schedule_lazy is due
  /// (I/O thread).
  virtual void flush_lazy() {
    flush();
  }
  /// flush(), with the socket write (at most one) added to `batch`, which
  /// the batcher submits after every connection of its turn added its own
  /// (I/O thread).
  virtual void flush_into(send_batch& batch) {
    (void)batch;
    flush();
  }
  /// The same for flush_lazy().
  virtual void flush_lazy_into(send_batch& batch) {
    (void)batch;
    flush_lazy();
  }
};

/// Collects connections that have frames to write; one post to the I/O
/// thread writes them all (instead of one post per connection and send).
class write_batcher {
public:
  /// `lazy_delay`: how long schedule_lazy() may wait (zero: not at all).
  /// `batch`: the turn's socket writes go to the kernel together (null:
  /// each connection writes on its own).
  explicit write_batcher(boost::asio::io_context& io,
                         std::chrono::milliseconds lazy_delay = {},
                         std::unique_ptr<send_batch> batch = nullptr)
    : io_(io)
    , lazy_delay_(lazy_delay)
    , lazy_timer_(io)
    , batch_(std::move(batch)) {
  }

  /// The turn's writes go to the kernel together (io_uring).
  bool batched() const {
    return batch_ != nullptr;
  }

  /// Asks for `c->flush()` on the I/O thread. Thread-safe; cheap when a
  /// drain is already on its way.
  void schedule(std::shared_ptr<flushable> c);

  /// Asks for `c->flush_lazy()` on the I/O thread within the lazy delay:
  /// every connection asking during one delay is flushed by one timer, so
  /// frames that are in no hurry (other members' ENTER and EXIT notices) leave
  /// with the next write instead of one write each. At most one call per
  /// connection and lazy write (outbound_queue), so what waits is bounded
  /// by the connections of the thread. Thread-safe.
  void schedule_lazy(std::shared_ptr<flushable> c);

  /// Lazy writes wait at all (a non-zero delay).
  bool lazy_enabled() const {
    return lazy_delay_.count() > 0;
  }

private:
  void drain();
  void drain_lazy();
  /// Flushes `conns` (I/O thread), their writes in one batch if there is one.
  void flush_all(std::vector<std::shared_ptr<flushable>>& conns, bool lazy);

  boost::asio::io_context& io_;
  const std::chrono::milliseconds lazy_delay_;
  std::mutex mtx_;
  std::vector<std::shared_ptr<flushable>> pending_;
  std::vector<std::shared_ptr<flushable>> draining_;
  bool posted_ = false;
  // The lazy writes: collected under mtx_, drained by the timer (which only
  // the I/O thread touches).
  std::vector<std::shared_ptr<flushable>> lazy_pending_;
  std::vector<std::shared_ptr<flushable>> lazy_draining_;
  bool lazy_armed_ = false;
  boost::asio::steady_timer lazy_timer_;
  std::unique_ptr<send_batch> batch_; // I/O thread only
};

/// How an I/O thread's connections write.
struct io_settings {
  /// See write_batcher::schedule_lazy.
  std::chrono::milliseconds lazy_delay{};
  /// Hand a turn's socket writes to the kernel together with io_uring
  /// (server.io_uring); without it, or when the kernel refuses io_uring,
  /// each connection writes with its own system call.
  bool io_uring = false;
};

struct io_worker {
  explicit io_worker(const io_settings& settings = {})
    : io(1)
    , batcher(io, settings.lazy_delay, make_batch(settings)) {
  }

  /// The batch of `settings`, or null (logged once per process when the
  /// kernel refuses io_uring).
  static std::unique_ptr<send_batch> make_batch(const io_settings& settings);

  boost::asio::io_context io;
  write_batcher batcher;
  std::thread thread;
};

} // namespace h2h::net
