// The push dispatcher's two doors to the outside, as interfaces free of
// curl, JSON and database headers: the provider (FCM) and the device store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actors/vocabulary/push.hpp"

namespace h2h {

/// Sends notifications to the provider. Implementations run the requests
/// on threads of their own.
class push_sender {
public:
  virtual ~push_sender() = default;
  /// Starts one request and returns at once (never blocks the caller).
  /// `done` runs exactly once, on a thread of the sender, with the outcome
  /// (a stopped sender reports failed).
  virtual void send(push_request req, std::function<void(push_outcome)> done)
    = 0;
};

/// A room's name and every member of it, as the store has them.
struct push_roster {
  std::string name;
  std::vector<std::int64_t> members;
};

/// Where the device tokens of members (and the rosters of rooms) live. Calls
/// return at once; the work runs off the caller's thread.
class push_devices {
public:
  virtual ~push_devices() = default;
  /// The member's device tokens (empty on a store failure, which is
  /// logged); `done` runs once, on any thread.
  virtual void lookup(std::int64_t member_id,
                      std::function<void(std::vector<std::string> tokens)> done)
    = 0;
  /// Like lookup(), for a message of `sender_id`: no tokens when the
  /// member blocks that sender (a member is never pushed a message of
  /// someone they block). By default: lookup().
  virtual void
  lookup_for(std::int64_t member_id, std::int64_t sender_id,
             std::function<void(std::vector<std::string> tokens)> done) {
    (void)sender_id;
    lookup(member_id, std::move(done));
  }
  /// Removes a token the provider reported gone.
  virtual void remove(std::int64_t member_id, const std::string& token) = 0;
  /// The room's roster (nullopt on a store failure or an unknown room);
  /// `done` runs once, on any thread. By default there is none: only
  /// notices that name their members (push_notice) are pushed.
  virtual void roster(const std::string& room_id,
                      std::function<void(std::optional<push_roster>)> done) {
    (void)room_id;
    done(std::nullopt);
  }
};

} // namespace h2h
