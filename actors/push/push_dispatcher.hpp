// The push dispatcher (DESIGN.md §5): one per node; fed with committed
// messages and the members to notify, it coalesces per (member, room),
// sends through a push_sender, retries with back-off and removes device
// tokens the provider reports gone. Free of curl, JSON and the store.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/push/push_backoff.hpp"
#include "actors/push/push_metrics.hpp"
#include "actors/push/push_sender.hpp"
#include "actors/vocabulary/push.hpp"

namespace h2h {

struct push_dispatch_settings {
  /// At most one push per (member, room) per window; the push leaves at the
  /// window's end carrying the latest message.
  std::chrono::milliseconds coalesce{1500};
  /// Bound on pushes waiting (windows, queued requests, retries).
  std::size_t queue_max = 10000;
  /// Requests handed to the sender and not yet answered.
  std::size_t max_in_flight = 100;
  /// Tries after the first one before a push fails for good.
  int max_retries = 5;
  backoff_policy backoff;
  /// Rooms whose roster (from the store) is kept, and for how long: a
  /// roster is read again after this, or at once when the room reports a
  /// membership change.
  std::size_t roster_cache_max = 1000;
  std::chrono::milliseconds roster_ttl{60000};
  /// Seeds the jitter (0: from the OS).
  std::uint64_t seed = 0;
};

using push_dispatcher_actor = caf::typed_actor<
  // A committed message and the members to notify.
  caf::reacts_to<push_atom, push_notice>,
  // A committed message and the members present in the room: the others
  // of the room's roster are notified.
  caf::reacts_to<push_atom, push_commit>,
  // The room's membership changed: read its roster again.
  caf::reacts_to<pforget_atom, std::string>,
  // Internal: the roster of a room (ok, name, members).
  caf::reacts_to<proster_atom, std::string, bool, std::string,
                 std::vector<std::int64_t>>,
  // Internal: a coalescing window of (member, room) ended.
  caf::reacts_to<pflush_atom, std::int64_t, std::string>,
  // Internal: the device tokens of lookup `id`.
  caf::reacts_to<pdevices_atom, std::uint64_t, std::vector<std::string>>,
  // Internal: the sender's outcome for request `id`.
  caf::reacts_to<pdone_atom, std::uint64_t, push_outcome>,
  // Internal: request `id` may be tried again.
  caf::reacts_to<pretry_atom, std::uint64_t>>;

struct push_state {
  static inline const char* name = "push-dispatcher";

  /// One request for one device token.
  struct job {
    std::int64_t member = 0;
    push_request req;
    /// Tries so far that asked to be retried.
    int attempt = 0;
  };
  using key = std::pair<std::int64_t, std::string>;
  /// A room's roster as the store had it, plus members seen present since.
  struct roster {
    std::string name;
    /// Sorted.
    std::vector<std::int64_t> members;
    caf::actor_clock::time_point loaded;
  };
  /// A roster being read and the commits waiting for it.
  struct roster_wait {
    std::vector<push_commit> commits;
    /// A membership change came meanwhile: use the answer, do not keep it.
    bool stale = false;
  };

  push_dispatch_settings cfg;
  std::shared_ptr<push_sender> sender;
  std::shared_ptr<push_devices> devices;
  std::shared_ptr<push_metrics> metrics;
  std::minstd_rand rng;

  /// Open windows: the latest message for (member, room), token empty.
  std::map<key, push_request> windows;
  /// At most cfg.roster_cache_max rooms.
  std::unordered_map<std::string, roster> rosters;
  std::unordered_map<std::string, roster_wait> roster_waits;
  /// Commits in roster_waits (counted against queue_max).
  std::size_t roster_waiting = 0;
  /// Device look-ups under way: member and message.
  std::map<std::uint64_t, std::pair<std::int64_t, push_request>> lookups;
  std::deque<std::pair<std::uint64_t, job>> queue;
  std::map<std::uint64_t, job> in_flight;
  std::map<std::uint64_t, job> waiting;
  std::uint64_t next_id = 1;
};

using push_pointer = push_dispatcher_actor::stateful_pointer<push_state>;

/// Spawnable behaviour: `caf::actor_system::spawn(push_dispatcher, cfg,
/// sender, devices, metrics)`.
push_dispatcher_actor::behavior_type
push_dispatcher(push_pointer self, push_dispatch_settings cfg,
                std::shared_ptr<push_sender> sender,
                std::shared_ptr<push_devices> devices,
                std::shared_ptr<push_metrics> metrics);

} // namespace h2h
