// The one percent-decoding of URL parts (user, password, database) for every
// URL the configuration holds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace h2h::config {

/// `text` with each "%XY" (two hex digits, either case) replaced by its
/// byte; nullopt when a '%' is not followed by two hex digits ("%4", "%zz",
/// a '%' at the end), so that a mistyped escape is an error, not a guess.
std::optional<std::string> percent_decode(std::string_view text);

} // namespace h2h::config
