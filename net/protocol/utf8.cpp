// UTF-8 validation, repair and cutting for untrusted input and for text
// that goes back to clients.
#include "net/protocol/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace h2h::net {

namespace {

/// Checks the sequence at `p` (`avail` > 0 bytes) against Unicode's table
/// of well-formed byte sequences. Returns how many of its bytes are
/// well-formed (0 when p[0] cannot start one) and sets `whole` when they
/// make a complete code point.
std::size_t check_sequence(const std::uint8_t* p, std::size_t avail,
                           bool& whole) {
  auto c = p[0];
  whole = false;
  std::size_t need;
  std::uint8_t lo = 0x80;
  std::uint8_t hi = 0xBF;
  if (c < 0x80) {
    whole = true;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0)
      lo = 0xA0; // no overlongs
    else if (c == 0xED)
      hi = 0x9F; // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0)
      lo = 0x90; // no overlongs
    else if (c == 0xF4)
      hi = 0x8F; // nothing above U+10FFFF
  } else {
    return 0;
  }
  std::size_t i = 1;
  for (; i <= need && i < avail; ++i) {
    auto b = p[i];
    if (i == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80)
      return i;
  }
  whole = i > need;
  return i;
}

/// Bytes of ASCII at the start of [p, end), eight at a time.
std::size_t ascii_run(const std::uint8_t* p, const std::uint8_t* end) {
  auto start = p;
  while (end - p >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (w & 0x8080808080808080ull)
      break;
    p += 8;
  }
  while (p < end && *p < 0x80)
    ++p;
  return static_cast<std::size_t>(p - start);
}

} // namespace

utf8_scan scan_utf8(std::string_view s) {
  auto p = reinterpret_cast<const std::uint8_t*>(s.data());
  auto n = s.size();
  std::size_t pos = 0;
  while (pos < n) {
    pos += ascii_run(p + pos, p + n);
    if (pos == n)
      break;
    bool whole;
    auto k = check_sequence(p + pos, n - pos, whole);
    if (!whole)
      return {pos, k > 0 && pos + k == n};
    pos += k;
  }
  return {pos, false};
}

bool valid_utf8(std::string_view s) {
  return scan_utf8(s).valid == s.size();
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

std::size_t utf8_cut(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes)
    return s.size();
  auto n = max_bytes;
  // A code point has at most three continuation bytes.
  for (int i = 0;
       i < 3 && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80; ++i)
    --n;
  return n;
}

std::string utf8_repair(std::string_view s) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  auto p = reinterpret_cast<const std::uint8_t*>(s.data());
  auto n = s.size();
  std::size_t pos = 0;
  std::size_t copied = 0;
  while (pos < n) {
    pos += ascii_run(p + pos, p + n);
    if (pos == n)
      break;
    bool whole;
    auto k = check_sequence(p + pos, n - pos, whole);
    if (whole) {
      pos += k;
      continue;
    }
    out.append(s.substr(copied, pos - copied));
    out.append(replacement);
    pos += k > 0 ? k : 1;
    copied = pos;
  }
  out.append(s.substr(copied));
  return out;
}

} // namespace h2h::net
