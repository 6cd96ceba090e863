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
  /// Seeds the jitter (0: from the OS).
  std::uint64_t seed = 0;
};

using push_dispatcher_actor = caf::typed_actor<
  // A committed message and the members to notify.
  caf::reacts_to<push_atom, push_notice>,
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

  push_dispatch_settings cfg;
  std::shared_ptr<push_sender> sender;
  std::shared_ptr<push_devices> devices;
  std::shared_ptr<push_metrics> metrics;
  std::minstd_rand rng;

  /// Open windows: the latest message for (member, room), token empty.
  std::map<key, push_request> windows;
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
