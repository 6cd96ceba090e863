// The room directory: the only owner of the map room id -> room actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "actors/vocabulary/type_ids.hpp"
#include "actors/chat/room_actor.hpp"
#include "actors/chat/room_creation.hpp"

namespace h2h {

struct directory_entry {
  room_actor room;
  /// ENTERs forwarded to the room; a room may stop only when it has seen all.
  std::uint64_t enters_forwarded = 0;
  /// A relay (cluster): the id of the node that owns the room. Empty for a
  /// room owned here.
  std::string owner_node;
};

struct directory_state {
  room_env_ptr env;
  std::unordered_map<std::string, directory_entry> rooms;
  /// Rooms created by ENTER, per creator (room_creation.hpp).
  creation_limiter creators{0, 1};
  /// The live nodes (cluster mode; `view.self` is empty on a single node).
  cluster_view view;
  /// room_owners(view): the nodes rooms are placed on.
  std::vector<std::string> owners;
  /// This node leaves (it drains) and others own its rooms: for a while
  /// (`refuse_peers_for` from `withdrawn_at`) a peer's request for a room
  /// is refused (CHAT_006, retry) rather than served here, where the room
  /// would have a second owner until the peer's view changes too (within a
  /// registry round trip). A peer that never hears it (an older h2h, which
  /// ignores `leaving`) is served again afterwards, as before.
  bool withdrawn = false;
  caf::actor_clock::time_point withdrawn_at;
  static constexpr std::chrono::seconds refuse_peers_for{3};
  /// This node's admin actor (it announces itself), for peers' admin
  /// requests and the node set.
  admin_actor admin;

  static inline const char* name = "h2h.directory";
};

using directory_pointer = directory_actor::stateful_pointer<directory_state>;

/// Spawnable behaviour of the directory. Rooms spawn on the first ENTER and
/// stop after an idle timeout (they ask the directory first, which says yes
/// only when no ENTER is still on its way to them).
///
/// In a cluster (after the first `nodes` message) each room has one owner
/// node, chosen by rendezvous hashing of its id over the live nodes: the
/// directory starts the room when it is this node, else a relay for it; it
/// sends HTTP posts, REST changes and presence questions to the owner's
/// directory; what another node asks of it is served here. When the node
/// set changes, every room or relay here whose owner changed moves.
directory_actor::behavior_type room_directory(directory_pointer self,
                                              room_env_ptr env);

} // namespace h2h
