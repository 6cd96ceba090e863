// The rule for members' names and nicknames: no character that hides,
// reorders or breaks lines.
#include "net/protocol/display_name.hpp"

#include <cstdint>
#include <cstdio>

#include "net/protocol/utf8.hpp"

namespace h2h::net {

namespace {

/// Decodes the code point at `i` of valid UTF-8 and moves `i` past it.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  int extra = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
  char32_t cp = extra == 0   ? b
                : extra == 1 ? b & 0x1Fu
                : extra == 2 ? b & 0x0Fu
                             : b & 0x07u;
  for (int k = 1; k <= extra; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

std::string code_point_name(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

} // namespace

std::string display_name_problem(std::string_view utf8) {
  if (!valid_utf8(utf8))
    return "must be valid UTF-8";
  for (std::size_t i = 0; i < utf8.size();) {
    auto cp = next_code_point(utf8, i);
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
      return "must not contain control characters (" + code_point_name(cp)
             + ")";
    // Bidi controls make a name display as another one (or reorder the
    // text around it); separators break lines in lists and logs.
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
      return "must not contain bidirectional override, embedding or "
             "isolate characters ("
             + code_point_name(cp) + ")";
    if (cp == 0x2028 || cp == 0x2029)
      return "must not contain line or paragraph separators ("
             + code_point_name(cp) + ")";
  }
  return {};
}

} // namespace h2h::net
