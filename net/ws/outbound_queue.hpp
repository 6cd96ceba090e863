// The outbound queue of one WebSocket connection: any thread queues frames,
// the connection's I/O thread takes them in batches to write. Every byte
// queued (pongs and the close frame included) counts against one limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "net/protocol/wire_message.hpp"
#include "net/ws/ws_frame.hpp"

namespace h2h::net {

/// A server frame waiting to be written: its header and a payload of one
/// or two shared parts (a connection's own head, then shared bytes).
struct out_frame {
  wire_message payload;
  std::uint8_t header[10];
  std::uint8_t header_len = 0;

  std::size_t size() const {
    return header_len + payload.size();
  }
};

class outbound_queue {
public:
  /// What a push did.
  enum class outcome : std::uint8_t {
    queued,   ///< queued; a write is already on its way
    schedule, ///< queued; the caller must schedule a write
    /// queued without hurry (push_all's `lazy`); the caller must schedule
    /// a lazy write (write_batcher::schedule_lazy), then promote_lazy()
    schedule_lazy,
    overflow, ///< past the limit: close with 4008 (reported once)
    refused,  ///< closing or closed: nothing more is queued
  };

  explicit outbound_queue(std::size_t limit)
    : limit_(limit) {
  }

  /// Queues one frame (any thread).
  outcome push(ws::opcode op, wire_message payload) {
    return push_all([&](auto&& add) { add(op, std::move(payload)); });
  }

  /// Queues several frames under one lock: `fill(add)` calls
  /// `add(opcode, payload)` once per frame, in order (any thread). `lazy`
  /// frames may wait for the next write (of a push that is not lazy, or
  /// the lazy one the caller schedules): they keep their place in the
  /// queue and count against the limit at once.
  template <class Fill>
  outcome push_all(Fill&& fill, bool lazy = false) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (refusing_)
      return outcome::refused;
    fill([this](ws::opcode op, wire_message payload) {
      append_locked(op, std::move(payload));
    });
    return lazy ? settle_lazy_locked() : settle_locked();
  }

  /// The lazy write scheduled after outcome::schedule_lazy is due: true
  /// when the caller must write now; false when a write is scheduled or
  /// running anyway (it takes the lazy frames along) (I/O thread).
  bool promote_lazy();

  /// Queues a pong (I/O thread). While a write is stuck (the socket is
  /// full: the client does not read), the unsent pong is replaced instead
  /// (RFC 6455 §5.5.3: only the most recent ping needs an answer), so the
  /// queue holds one; the bytes of the pongs it replaced stay on the account
  /// until a pong is written, so a client that pings without reading still
  /// reaches the limit. While writes go through, every ping gets its pong:
  /// merging them then would hide a flood from the limit, since the socket
  /// would never fill.
  outcome push_pong(std::shared_ptr<const std::string> payload);

  /// Queues the close frame; nothing is queued after it. A slow consumer's
  /// (4008) unsent frames are dropped first; so are those of a close that
  /// would pass the limit, which then becomes 4008. Returns the code sent
  /// and whether the caller must schedule a write (I/O thread).
  struct close_outcome {
    std::uint16_t code;
    bool schedule;
  };
  close_outcome close(std::uint16_t code, std::string_view reason);

  /// Moves the unsent frames into `into` (empty) for writing. False when
  /// there were none: the write is done, and a later push schedules the
  /// next one (I/O thread).
  bool take(std::vector<out_frame>& into);

  /// The frames taken last are written (`bytes` of them): they leave the
  /// account (I/O thread).
  void written(std::size_t bytes);

  /// Drops everything and refuses from now on (the connection is gone).
  void clear();

  /// Bytes on the account: queued, being written, and replaced pongs.
  std::size_t queued_bytes() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return queued_;
  }

  std::size_t limit() const {
    return limit_;
  }

private:
  static constexpr std::uint32_t no_pong
    = std::numeric_limits<std::uint32_t>::max();

  void append_locked(ws::opcode op, wire_message payload);
  outcome settle_locked();
  outcome settle_lazy_locked();
  void drop_unsent_locked();

  // Ordered to pack: every connection holds a queue.
  const std::size_t limit_;
  mutable std::mutex mtx_;
  std::vector<out_frame> unsent_;
  std::size_t queued_ = 0;
  /// Bytes of replaced pongs, on the account until a pong goes out.
  std::size_t pong_debt_ = 0;
  /// The same for the pong among the frames being written.
  std::size_t pong_debt_writing_ = 0;
  /// Index in unsent_ of the latest pong not written yet (a frame has two
  /// bytes at least: far fewer than 2^32 fit any sane limit).
  std::uint32_t pong_at_ = no_pong;
  /// Frames are taken and not written yet.
  bool in_flight_ = false;
  bool write_scheduled_ = false;
  /// A lazy write is scheduled (see schedule_lazy): later lazy pushes
  /// need none.
  bool lazy_scheduled_ = false;
  bool refusing_ = false;
  bool closed_ = false;
};

} // namespace h2h::net
