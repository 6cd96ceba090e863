// The admin actor (DESIGN.md §5, docs/admin.md): one per node; answers the
// admin port for the whole cluster by asking every node's part, and knows
// this node's sessions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/vocabulary/metrics.hpp"
#include "actors/vocabulary/protocol_name.hpp"
#include "actors/vocabulary/type_ids.hpp"

namespace h2h {

/// What the admin actor needs from the node: ids, handles, and the
/// functions that act outside the actor system (injected; none may block).
struct admin_settings {
  /// This node's id (a cluster's node id; the cluster view's own id wins
  /// once the directory has one) and the address `nodes` shows for it
  /// (asked at each `nodes`: the public port may be chosen after the
  /// actor starts; empty when null).
  std::string node_id = "local";
  std::function<std::string()> address;
  /// Wall-clock ms when the node started.
  std::int64_t started_ms = 0;
  /// The longest wait for each node's answer (all are asked at once).
  std::chrono::milliseconds node_timeout{2000};
  /// broadcast: the longest text, in characters (limits.max_message_chars).
  std::size_t max_message_chars = 4000;
  /// Sessions tracked at most; beyond, they are counted but not listed.
  std::size_t sessions_max = 1000000;
  /// This node's directory: told about the admin actor when it starts.
  directory_actor directory;
  /// Never null.
  std::shared_ptr<node_metrics> metrics = std::make_shared<node_metrics>();
  /// Wall-clock milliseconds since the epoch (tests inject a fake).
  std::function<std::int64_t()> now_ms;
  /// stats: more counters of the node (e.g. the network's), by name.
  std::function<std::vector<std::pair<std::string, std::int64_t>>()> counters;
  /// loglevel: sets the node's log level (one of trace, debug, info,
  /// warning, error). Null: the command is refused (ADMIN_UNAVAILABLE).
  std::function<void(const std::string&)> set_log_level;
  /// drain: starts the node's graceful stop and returns at once. Null: the
  /// command is refused (ADMIN_UNAVAILABLE).
  std::function<void()> drain;
  /// blocks: a member's blocks changed (before its sessions are told), for
  /// what the node caches about sessions. May be null.
  std::function<void(std::int64_t member)> blocks_changed;
};

/// A session of this node, as it announced itself.
struct admin_session_entry {
  std::int64_t member_id = 0;
  std::string name;
  /// protocol_name()'s copy.
  const char* protocol = "";
  std::int64_t connected_ms = 0;
};

struct admin_state {
  admin_settings settings;
  /// The live nodes (from the directory); `self` empty on a single node.
  cluster_view view;
  /// Live sessions (weak: the key), at most settings.sessions_max.
  std::unordered_map<caf::actor_addr, admin_session_entry> sessions;
  /// Sessions alive beyond sessions_max (monitored and counted, not
  /// listed).
  std::uint64_t untracked = 0;
  static inline const char* name = "h2h.admin";
};

using admin_pointer = admin_actor::stateful_pointer<admin_state>;

/// Spawnable behaviour of the admin actor. It announces itself to
/// `settings.directory`, which then sends it the node set and hands it
/// peers' requests.
admin_actor::behavior_type node_admin(admin_pointer self,
                                      admin_settings settings);

/// Spawns the node's admin actor (it announces itself to the directory).
admin_actor spawn_admin(caf::actor_system& sys, admin_settings settings);

} // namespace h2h
