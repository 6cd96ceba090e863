// A room's window of recent clientMsgIds and their acks, keyed on the
// member id (the sender's name only in trusted mode), FIFO-bounded.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "actors/vocabulary/messages.hpp"

namespace h2h {

/// Remembers recent (sender, clientMsgId) pairs and their acks, FIFO-bounded.
/// The sender is the member id; its name only when there is none (trusted
/// mode): display names are not unique and can be changed.
class dedupe_window {
public:
  explicit dedupe_window(std::size_t capacity)
    : capacity_(capacity) {
  }

  /// The ack recorded for this pair, or nullptr.
  const publish_ack* find(std::int64_t sender_id, const std::string& sender,
                          const std::string& id) const;

  void remember(std::int64_t sender_id, const std::string& sender,
                const std::string& id, const publish_ack& ack);

  std::size_t size() const {
    return acks_.size();
  }

  /// The key of a clientMsgId: the member id when there is one, else the
  /// sender's name (the two never collide).
  static std::string key(std::int64_t sender_id, const std::string& sender,
                         const std::string& id);

private:
  std::size_t capacity_;
  std::unordered_map<std::string, publish_ack> acks_;
  std::deque<std::string> order_;
};

} // namespace h2h
