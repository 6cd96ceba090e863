// A committed room event as an immutable value shared by every receiver on
// the node, with a per-protocol cache of its encoded bytes.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "persistence/record.hpp"

namespace h2h {

/// A committed room event, immutable, shared by every receiver on the node
/// (the room's ring, replays and fan-out hold the same object). Each wire
/// protocol encodes it once into its own cache slot and shares the bytes
/// between all of its receivers.
class chat_event {
public:
  /// Cache slots: one per wire protocol of the program.
  static constexpr std::size_t max_encodings = 4;

  explicit chat_event(room_event data)
    : data_(std::move(data)) {
  }

  chat_event(const chat_event&) = delete;
  chat_event& operator=(const chat_event&) = delete;

  ~chat_event() {
    for (auto& slot : slots_)
      delete slot.load(std::memory_order_acquire);
  }

  const room_event& data() const {
    return data_;
  }

  /// The bytes of the protocol that owns `slot` (< max_encodings), made by
  /// `encode(data())` on first use and shared afterwards. Thread-safe (the
  /// links of one room run on several I/O threads): the first to finish
  /// publishes its copy with a CAS, a loser frees its own. The result
  /// aliases `self` (which must own this event): no allocation besides the
  /// string itself, and the bytes live as long as anyone holds them.
  template <class F>
  std::shared_ptr<const std::string>
  encoded(const std::shared_ptr<const chat_event>& self, std::size_t slot,
          F&& encode) const {
    auto& cell = slots_[slot];
    const std::string* bytes = cell.load(std::memory_order_acquire);
    if (bytes == nullptr) {
      auto* mine = new std::string(encode(data_));
      const std::string* expected = nullptr;
      if (cell.compare_exchange_strong(expected, mine,
                                       std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        bytes = mine;
      } else {
        delete mine;
        bytes = expected;
      }
    }
    return std::shared_ptr<const std::string>(self, bytes);
  }

  /// A new cache slot for a wire protocol; call once per protocol (e.g. in
  /// a function-local static). The program has at most max_encodings.
  static std::size_t allocate_slot() {
    static std::atomic<std::size_t> next{0};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

private:
  room_event data_;
  mutable std::atomic<const std::string*> slots_[max_encodings] = {};
};

/// How a committed event travels: one immutable object, shared.
using event_ptr = std::shared_ptr<const chat_event>;

/// Wraps an event (e.g. one read back from the store) once.
inline event_ptr make_event(room_event data) {
  return std::make_shared<const chat_event>(std::move(data));
}

} // namespace h2h
