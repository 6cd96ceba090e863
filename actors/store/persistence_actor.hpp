// The persistence actor: batches appends (up to N messages or T ms) into one
// transaction each, answers each append with its own outcome, retries with
// back-off while the store is down, never drops what it accepted, refuses
// appends (CHAT_006) while `queue_max` wait, and spreads reads over a few
// reader workers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "actors/store/commit_schedule.hpp"
#include "actors/vocabulary/type_ids.hpp"
#include "actors/vocabulary/metrics.hpp"
#include "persistence/store.hpp"

namespace h2h {

struct persistence_settings {
  std::size_t batch_max = 512;
  std::chrono::milliseconds batch_window{2};
  std::chrono::milliseconds retry_min{50};
  std::chrono::milliseconds retry_max{5000};
  /// Appends accepted and not committed yet (node-wide: one persistence
  /// actor per node) beyond which appends are refused with CHAT_006.
  std::size_t queue_max = 100000;
  /// Longest wait for one commit before it counts as failed (and retried).
  std::chrono::milliseconds commit_timeout{60000};
  /// Reader workers (room loads, replays, history, pings). With two or
  /// more, history reads never use the first: a load or a /readyz ping
  /// always finds a reader that no long replay holds.
  std::size_t read_workers = 3;
  /// Reads sent to readers and not answered yet beyond which more reads are
  /// refused (CHAT_006) instead of queued.
  std::size_t read_queue_max = 10000;
  /// Workers run detached (own threads) unless a test wants them scheduled.
  bool detached_workers = true;
  /// Never null.
  std::shared_ptr<node_metrics> metrics = std::make_shared<node_metrics>();
};

struct persistence_state {
  persistence_settings cfg;
  store_worker_actor writer;
  std::vector<store_worker_actor> readers;
  /// Reads sent to each reader and not answered yet, and their sum.
  std::vector<std::size_t> reads_out;
  std::size_t reads_total = 0;
  /// Queue, batch window, batch in flight and back-off.
  commit_schedule schedule;
  /// When the commit in flight is given up. One timer watches it instead of
  /// a CAF request timeout per commit: CAF 0.17 keeps those for their whole
  /// span even after the answer (~150 bytes each, and a wake-up of the clock
  /// thread).
  caf::actor_clock::time_point commit_deadline;
  bool watchdog_armed = false;
  caf::actor_clock::time_point watchdog_due;
  std::vector<caf::typed_response_promise<bool>> flush_waiters;
  /// First entries into public rooms waiting to be recorded (room, member),
  /// at most join_queue_max; one transaction at a time records up to
  /// join_batch_max of them, so that a storm of connections costs a sync
  /// per batch, not one per member.
  std::vector<std::string> join_rooms;
  std::vector<std::int64_t> join_members;
  bool joins_in_flight = false;
  static constexpr std::size_t join_batch_max = 512;
  static constexpr std::size_t join_queue_max = 100000;

  static inline const char* name = "h2h.persistence";
};

/// The persistence actor's own interface: the public one and its timers.
using persistence_impl = persistence_actor::extend<
  caf::reacts_to<window_atom, std::uint64_t>, // the batch window closed
  caf::reacts_to<commit_due_atom>,            // check the commit's deadline
  caf::reacts_to<retry_atom>>;                // retry after a store failure

using persistence_pointer
  = persistence_impl::stateful_pointer<persistence_state>;

/// Spawnable behaviour; spawns its writer and reader workers.
persistence_impl::behavior_type persistence(persistence_pointer self,
                                            store_factory open,
                                            persistence_settings cfg);

} // namespace h2h
