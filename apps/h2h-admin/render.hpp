// An answer line of the admin port -> text for people (tables, key/value,
// one line), or the line as it came (--json). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace h2h::admin {

/// What to print for one answer, and whether the command succeeded.
struct rendered {
  bool ok = false;
  /// Ends with '\n' unless empty.
  std::string text;
};

/// Renders `answer` (one JSON line, without or with its '\n'). `now_ms`
/// (wall clock) turns timestamps into ages. With `as_json` the text is the
/// line itself; `ok` is read from it either way. An answer that is not a
/// JSON object is a failure that says so.
rendered render_answer(std::string_view answer, bool as_json,
                       std::int64_t now_ms);

/// "3d 4h", "2h 5m", "5m 12s", "42s".
std::string format_duration(std::int64_t seconds);

} // namespace h2h::admin
