// The outbound queue of one SSE stream: any thread queues shared bytes, the
// stream's I/O thread takes them in batches to write. Every byte queued
// counts against one limit, as for a WebSocket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/protocol/wire_message.hpp"

namespace h2h::net {

class stream_queue {
public:
  /// What a push did.
  enum class outcome : std::uint8_t {
    queued,   ///< queued; a write is already on its way
    schedule, ///< queued; the caller must schedule a write
    overflow, ///< past the limit: the stream is cut (reported once)
    refused,  ///< ending or ended: nothing more is queued
  };

  using bytes = std::shared_ptr<const std::string>;

  explicit stream_queue(std::size_t limit)
    : limit_(limit) {
  }

  /// Queues `n` messages, in order, under one lock (any thread); a
  /// stream has no framing, so a message's parts queue one after the other.
  outcome push(const wire_message* msgs, std::size_t n) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (refusing_)
      return outcome::refused;
    for (std::size_t i = 0; i < n; ++i)
      for (const auto* part : {&msgs[i].head, &msgs[i].body})
        if (*part && !(*part)->empty()) {
          unsent_.push_back(*part);
          queued_ += (*part)->size();
        }
    if (queued_ > limit_) {
      // What it did not read is dropped; it resumes with Last-Event-ID.
      refusing_ = true;
      unsent_.clear();
      return outcome::overflow;
    }
    if (write_scheduled_ || unsent_.empty())
      return outcome::queued;
    write_scheduled_ = true;
    return outcome::schedule;
  }

  /// Nothing more is queued; true when a write must be scheduled to flush
  /// what is (I/O thread).
  bool seal() {
    std::lock_guard<std::mutex> guard{mtx_};
    refusing_ = true;
    if (write_scheduled_)
      return false;
    write_scheduled_ = true;
    return true;
  }

  /// Moves the unsent bytes into `into` (empty). False when there were
  /// none: the write is done, a later push schedules the next (I/O thread).
  bool take(std::vector<bytes>& into) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (unsent_.empty()) {
      write_scheduled_ = false;
      if (unsent_.capacity() > 16)
        std::vector<bytes>{}.swap(unsent_);
      return false;
    }
    into.swap(unsent_);
    return true;
  }

  /// `n` bytes taken earlier are written: they leave the account.
  void written(std::size_t n) {
    std::lock_guard<std::mutex> guard{mtx_};
    queued_ -= n;
  }

  /// Drops everything and refuses from now on (the stream is gone).
  void clear() {
    std::lock_guard<std::mutex> guard{mtx_};
    refusing_ = true;
    unsent_.clear();
    queued_ = 0;
  }

  std::size_t queued_bytes() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return queued_;
  }

private:
  const std::size_t limit_;
  mutable std::mutex mtx_;
  std::vector<bytes> unsent_;
  std::size_t queued_ = 0;
  bool write_scheduled_ = false;
  bool refusing_ = false;
};

} // namespace h2h::net
