// The cluster actor: registers this node in the registry (Redis), watches
// the node set, connects to every peer through CAF's middleman and tells the
// room directory which nodes are live. Blocking registry calls run in two
// detached workers; this actor never blocks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>

#include <caf/io/middleman_actor.hpp>

#include "actors/vocabulary/type_ids.hpp"
#include "persistence/registry/node_registry.hpp"

namespace h2h {

// clang-format off
/// Owns the registry connection for commands (detached: it blocks).
using registry_actor = caf::typed_actor<
  // Announces this node (refreshing its TTL), then lists every node.
  caf::replies_to<scan_atom>::with<std::vector<node_record>>,
  // This node drains: announce it as leaving, now and from then on.
  caf::reacts_to<caf::leave_atom>,
  caf::reacts_to<withdraw_atom>>;

/// This node in the cluster.
using cluster_actor = caf::typed_actor<
  caf::reacts_to<changed_atom>,    // the registry's channel said something
  caf::reacts_to<beat_atom>,       // heartbeat: announce and rescan
  caf::reacts_to<caf::leave_atom>>; // the node drains: hand the rooms over
// clang-format on

/// What the node shows about its cluster (/readyz, /metrics); written by
/// the cluster actor, read by any thread.
struct cluster_board {
  std::string node_id;
  std::atomic<std::size_t> nodes{1};
  std::atomic<bool> registry_ok{false};
};

struct cluster_settings {
  node_record self;
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds node_ttl{3000};
  /// Longest wait for a peer's connection (and a registry call).
  std::chrono::milliseconds connect_timeout{5000};
  /// Most peers this node tracks (a bound on what the registry may list).
  std::size_t max_nodes = 256;
  /// The middleman actor that dials peers (connect_atom): CAF's OpenSSL
  /// one when the cluster port runs over TLS; null: the plain middleman.
  caf::io::middleman_actor connector;
  /// Of two nodes that find each other, the one with the larger id dials
  /// this much later (see dial_now in cluster_actor.cpp); 0: at once.
  std::chrono::milliseconds dial_delay{100};
};

/// Makes the registry objects (each called once, on the worker's thread).
struct registry_factory {
  std::function<std::unique_ptr<node_registry>()> registry;
  std::function<std::unique_ptr<node_watch>()> watch;
};

/// A peer known from the registry.
struct cluster_peer {
  node_record record;
  /// Its directory once connected; null while connecting.
  directory_actor entry;
  /// Since when the registry has not listed this connected peer (unset:
  /// listed at the last scan).
  std::optional<caf::actor_clock::time_point> missing_since;
};

struct cluster_state {
  cluster_settings cfg;
  std::shared_ptr<cluster_board> board;
  directory_actor directory;
  registry_actor registry;
  caf::actor watcher;
  std::map<std::string, cluster_peer> peers;
  /// Incarnations (id -> started_ms) refused for running another h2h (a
  /// different cluster interface): not connected again until the registry
  /// lists a newer start of that node or drops it.
  std::map<std::string, std::int64_t> dead;
  /// Peers whose connection went down: connected again from this time on
  /// (bounded like `peers`: only ids the registry lists stay).
  std::map<std::string, caf::actor_clock::time_point> retry_after;
  /// Peers with a smaller id this node waits for before dialing them
  /// (bounded like `retry_after`).
  std::map<std::string, caf::actor_clock::time_point> dial_after;
  /// Peers this node fails to connect to, one dial per scan: the first
  /// failure is logged, then one line a minute (bounded like `retry_after`;
  /// a success forgets the entry).
  struct dial_failures {
    std::size_t count = 0;
    caf::actor_clock::time_point logged;
  };
  std::map<std::string, dial_failures> failing;
  bool scanning = false;
  /// Registry reachable at the last call (logged when it changes).
  bool registry_ok = true;
  /// The view last sent to the directory (not resent when unchanged).
  std::vector<std::string> sent_ids;
  std::vector<std::string> sent_leaving;
  /// This node drains: it stays connected and registered (as leaving) but
  /// owns no room while another node can.
  bool leaving = false;

  static inline const char* name = "h2h.cluster";
};

using cluster_pointer = cluster_actor::stateful_pointer<cluster_state>;

/// Spawnable behaviour of the cluster actor. It spawns its registry workers
/// (detached) and stops them when it ends; at the end it withdraws the node.
/// `leave` (the start of a drain) marks this node leaving in the registry
/// and in the view it gives the directory: the rooms it owns move to the
/// other nodes at once, while its last sessions go on through relays. The
/// other nodes see the mark within a registry round trip (the channel) and
/// move their view the same way; a leaving peer stays connected.
cluster_actor::behavior_type cluster(cluster_pointer self, cluster_settings cfg,
                                     registry_factory make,
                                     directory_actor directory,
                                     std::shared_ptr<cluster_board> board);

} // namespace h2h
