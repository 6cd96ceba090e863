// Whom a member blocks, as the chat holds it: an immutable sorted list shared
// by the member's sessions and their rooms; null when it blocks nobody (then a
// delivery costs one branch and nothing else).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "persistence/record.hpp"

namespace h2h {

/// Member ids, ascending; null: nobody.
using block_list = std::shared_ptr<const std::vector<std::int64_t>>;

/// The shared form of `ids` (any order, repeats allowed); null when empty.
inline block_list make_block_list(std::vector<std::int64_t> ids) {
  if (ids.empty())
    return nullptr;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return std::make_shared<const std::vector<std::int64_t>>(std::move(ids));
}

/// True when a member blocking `blocked` (ascending) must not see `ev`: a
/// MESSAGE of a member it blocks. ENTER and EXIT notices pass (presence is
/// not content, and the room's member list shows it anyway).
inline bool hides(const std::vector<std::int64_t>& blocked,
                  const room_event& ev) {
  return ev.kind == event_kind::message && ev.sender_id != 0
         && std::binary_search(blocked.begin(), blocked.end(), ev.sender_id);
}

} // namespace h2h
