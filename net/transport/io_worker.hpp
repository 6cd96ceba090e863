// One I/O thread with its own io_context, and the batcher that turns many
// queued sends into one wake-up of that thread. Connections are pinned to
// one worker, so their handlers never run concurrently (no strands).
#pragma once

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace h2h::net {

/// Something with queued bytes to write on its I/O thread (a transport).
class flushable {
public:
  virtual ~flushable() = default;
  /// Writes what is queued (I/O thread).
  virtual void flush() = 0;
};

/// Collects connections that have frames to write; one post to the I/O
/// thread writes them all (instead of one post per connection and send).
class write_batcher {
public:
  explicit write_batcher(boost::asio::io_context& io)
    : io_(io) {
  }

  /// Asks for `c->flush()` on the I/O thread. Thread-safe; cheap when a
  /// drain is already on its way.
  void schedule(std::shared_ptr<flushable> c);

private:
  void drain();

  boost::asio::io_context& io_;
  std::mutex mtx_;
  std::vector<std::shared_ptr<flushable>> pending_;
  std::vector<std::shared_ptr<flushable>> draining_;
  bool posted_ = false;
};

struct io_worker {
  io_worker()
    : io(1)
    , batcher(io) {
  }

  boost::asio::io_context io;
  write_batcher batcher;
  std::thread thread;
};

} // namespace h2h::net
