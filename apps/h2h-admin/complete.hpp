// Tab completion of h2h-admin, from the command table: command names,
// options, fixed choices, and room/member/node ids the caller supplies.
// Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace h2h::admin {

/// Which live ids the word being completed wants.
enum class id_kind { none, rooms, members, nodes };

/// What may stand at the word that starts at `word_begin` of `line`:
/// fixed words (commands, options, choices) and/or one kind of live id.
struct completion_slot {
  std::vector<std::string> fixed;
  id_kind ids = id_kind::none;
};

/// The slot of the word that starts at `word_begin` (the words before it
/// decide: the command, an option waiting for its value, the argument's
/// position).
completion_slot slot_at(std::string_view line, std::size_t word_begin);

/// The candidates among `fixed` and `ids` that start with `prefix`, sorted,
/// without duplicates.
std::vector<std::string> matches(const completion_slot& slot,
                                 const std::vector<std::string>& ids,
                                 std::string_view prefix);

} // namespace h2h::admin
