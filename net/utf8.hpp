// UTF-8 validation and code point counting for untrusted input.
#pragma once

#include <cstddef>
#include <string_view>

namespace h2h::net {

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values
/// above U+10FFFF).
bool valid_utf8(std::string_view s);

/// Code points in `s` (which must be valid UTF-8).
std::size_t utf8_length(std::string_view s);

} // namespace h2h::net
