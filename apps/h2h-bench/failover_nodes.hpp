// What h2h-bench failover asks the nodes outside the load: their ids (so
// the rooms' owners), the rooms' history afterwards, the victim's name.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "failover_tally.hpp"
#include "options.hpp"

namespace h2h::bench {

/// The comm of a process: the kill is refused for anything but h2hd.
std::string process_name(int pid);

/// The node id of each URL (from /readyz) and so the owner of each room
/// before and after the victim's death; unknown when a node does not say.
std::vector<failover_room> find_owners(const bench_options& o);

/// Every room's history, read from any survivor that answers (after the
/// run); nullopt for a room that could not be read.
std::vector<std::optional<history_room>> read_history(const bench_options& o);

} // namespace h2h::bench
