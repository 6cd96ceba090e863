// The rule for members' names and nicknames: text people read in rooms,
// lists and logs, so no character that hides, reorders or breaks lines.
#pragma once

#include <string>
#include <string_view>

namespace h2h::net {

/// Why `utf8` cannot be a name or nickname, e.g. "must not contain control
/// characters (U+0007)"; empty when it can. Refused: C0 controls, DEL, C1
/// controls, the bidirectional embeddings, overrides and isolates
/// (U+202A..U+202E, U+2066..U+2069) and the line and paragraph separators
/// (U+2028, U+2029); and text that is not UTF-8. Pure.
std::string display_name_problem(std::string_view utf8);

} // namespace h2h::net
