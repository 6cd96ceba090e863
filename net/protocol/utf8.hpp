// UTF-8 validation, repair and cutting for untrusted input and for text
// that goes back to clients.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace h2h::net {

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values
/// above U+10FFFF).
bool valid_utf8(std::string_view s);

/// How much of a text that may go on in later bytes is well-formed.
struct utf8_scan {
  /// Bytes of whole, well-formed code points at the start.
  std::size_t valid = 0;
  /// The bytes after `valid` start a well-formed sequence that later bytes
  /// can complete (false when they are ill-formed already, or when there
  /// are none).
  bool incomplete = false;
};

/// Checks `s` as the beginning of a longer text (for fragments).
utf8_scan scan_utf8(std::string_view s);

/// Code points in `s` (which must be valid UTF-8).
std::size_t utf8_length(std::string_view s);

/// The length of the longest prefix of `s` (valid UTF-8) that has at most
/// `max_bytes` bytes and does not end inside a code point.
std::size_t utf8_cut(std::string_view s, std::size_t max_bytes);

/// `s` with each ill-formed sequence replaced by U+FFFD (Unicode's
/// "maximal subpart" rule): safe to echo to a client.
std::string utf8_repair(std::string_view s);

} // namespace h2h::net
