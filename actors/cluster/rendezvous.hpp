// Which node owns a room: rendezvous (highest random weight) hashing of the
// room id over the live node ids. Pure and stable across builds and
// processes: every node computes the same owner from the same node set.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace h2h {

/// The weight of `node` for `room`: a 64-bit hash of both, the same on every
/// machine (not std::hash, which may differ between builds).
std::uint64_t rendezvous_weight(std::string_view node, std::string_view room);

/// The node of `nodes` that owns `room`: the one of highest weight (ties,
/// which need a 64-bit collision, go to the smaller id). Null when `nodes`
/// is empty. Adding a node moves only the rooms it wins; removing one moves
/// only the rooms it had.
const std::string* rendezvous_owner(std::string_view room,
                                    const std::vector<std::string>& nodes);

} // namespace h2h
