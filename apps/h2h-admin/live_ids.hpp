// The room, member and node ids that Tab completes, read from the live
// node's `rooms`, `sessions` and `nodes` answers. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "complete.hpp"

namespace h2h::admin {

/// At most this many ids of each kind are kept for completion.
inline constexpr std::size_t max_completion_ids = 1000;

/// The request that lists ids of `kind` (kind != none).
std::string ids_request(id_kind kind);

/// The ids of `kind` in `answer` (the answer to ids_request(kind)), sorted,
/// without duplicates, at most max_completion_ids; none when it failed.
std::vector<std::string> ids_from_answer(id_kind kind, std::string_view answer);

} // namespace h2h::admin
