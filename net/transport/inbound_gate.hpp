// The inbound window between a connection's I/O thread and its session
// actor: how many decoded commands wait for the session, and whether reading
// is paused. One atomic word holds both, so exactly one side decides to
// resume and no wake-up is lost.
#pragma once

#include <atomic>
#include <cstdint>

namespace h2h::net {

/// The I/O thread calls add() per command it hands over and pause_if_full()
/// after a read; the session calls done() per finished command (any thread).
/// When a pause is ended, exactly one done() returns true, and its caller
/// makes the I/O thread read again.
///
/// Why one word: with a separate count and flag, "store paused, then load
/// count" on one side and "decrement count, then load paused" on the other
/// is Dekker's pattern; with release/acquire (and on x86, whose store
/// buffer lets a later load pass an earlier store) both sides can miss each
/// other, and the connection never reads again. Read-modify-writes of one
/// atomic are totally ordered, so here one of them always sees the other.
class inbound_gate {
public:
  explicit inbound_gate(std::uint32_t window)
    : window_(window == 0 ? 1 : window & count_mask) {
  }

  /// I/O thread: a command was handed to the session.
  void add() {
    word_.fetch_add(1, std::memory_order_acq_rel);
  }

  /// I/O thread, after handing over what a read brought: pauses when
  /// `window` commands wait. True when reading must stop (paused now or
  /// already); a later done() ends the pause.
  bool pause_if_full() {
    auto w = word_.load(std::memory_order_acquire);
    for (;;) {
      if (w & paused_bit)
        return true;
      if (count(w) < window_)
        return false;
      if (word_.compare_exchange_weak(w, w | paused_bit,
                                      std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return true;
    }
  }

  /// The session finished a command (any thread). True when this call
  /// ended a pause: the caller must make the I/O thread read again.
  bool done() {
    auto w = word_.load(std::memory_order_acquire);
    for (;;) {
      if (count(w) == 0)
        return false; // more done() than add(): a caller's bug, ignored
      auto left = count(w) - 1;
      bool wake = (w & paused_bit) != 0 && left < window_;
      auto next = wake ? left : (w & paused_bit) | left;
      if (word_.compare_exchange_weak(w, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return wake;
    }
  }

  /// Commands handed over and not done yet.
  std::uint32_t pending() const {
    return count(word_.load(std::memory_order_acquire));
  }

  /// True while reading is paused.
  bool paused() const {
    return (word_.load(std::memory_order_acquire) & paused_bit) != 0;
  }

private:
  // 31 bits of count are plenty: one read hands over a few thousand
  // commands at most before the I/O thread looks at the gate.
  static constexpr std::uint32_t paused_bit = std::uint32_t{1} << 31;
  static constexpr std::uint32_t count_mask = paused_bit - 1;

  static std::uint32_t count(std::uint32_t w) {
    return w & count_mask;
  }

  std::uint32_t window_;
  std::atomic<std::uint32_t> word_{0};
};

} // namespace h2h::net
