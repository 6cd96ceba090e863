// A line typed at h2h-admin -> the JSON request of docs/admin.md, a local
// action (help, quit), or an error that names the bad argument. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace h2h::admin {

struct command_spec;

/// What one line asks for.
struct parsed_line {
  enum class kind {
    empty,   ///< blank, or a comment (#...)
    request, ///< send `request` to the node
    help,    ///< print `text`
    quit,    ///< leave
    error    ///< print `text`; nothing is sent
  };
  kind what = kind::empty;
  /// The command (request, help, quit), else null.
  const command_spec* command = nullptr;
  /// The JSON request, one line without its '\n' (kind::request).
  std::string request;
  /// The help text (kind::help) or the error message (kind::error).
  std::string text;
};

/// Requests longer than this are refused by the node (docs/admin.md).
inline constexpr std::size_t max_request_bytes = 64 * 1024;

/// Parses one line (see command_table.hpp for the syntax).
parsed_line parse_line(std::string_view line);

/// One word of a line and where it starts and ends in it.
struct word {
  std::string text; ///< unquoted
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// Splits a line into words: blanks separate them, '...' and "..." quote
/// (a backslash escapes the next character outside single quotes). On an
/// unterminated quote, `error` says so and the words so far are returned;
/// the last one then holds what the open quote contains.
std::vector<word> split_words(std::string_view line, std::string* error);

/// True when `id` is a room id as DESIGN.md §2.1 has them: 1-64 letters,
/// digits, '-' or '_'.
bool valid_room_id(std::string_view id);

} // namespace h2h::admin
