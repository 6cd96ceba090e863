// h2h-admin's one command table: every command of docs/admin.md with its
// arguments, options and help; the parser, `help` and completion read it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace h2h::admin {

/// What a value (argument or option) holds; it decides how it is checked,
/// how it goes into the JSON request and what completes it.
enum class value_kind {
  room,   ///< a room id (DESIGN.md §2.1): completed from `rooms`
  member, ///< a member id, a positive integer: completed from `sessions`
  node,   ///< a node id: completed from `nodes`
  count,  ///< a positive integer within [min_count, max_count]
  choice, ///< one word of `choices`
  text,   ///< the rest of the line (broadcast), quotes allowed
  command ///< a command name (help's topic)
};

/// A positional argument.
struct argument {
  std::string_view name;     ///< shown as <name> or [name]
  std::string_view json_key; ///< the request field it fills
  value_kind kind;
  bool optional = false;
  std::vector<std::string_view> choices = {};
};

/// An option `--flag VALUE` (or `--flag=VALUE`).
struct option {
  std::string_view flag; ///< with its dashes: "--limit"
  std::string_view value_name;
  std::string_view json_key;
  value_kind kind;
  std::string_view help;
  std::vector<std::string_view> choices = {};
};

/// One command of the REPL.
struct command_spec {
  std::string_view name;
  std::vector<argument> arguments;
  std::vector<option> options;
  /// One line for `help`.
  std::string_view summary;
  /// More lines for `help <command>` (what it shows or does).
  std::string_view details;
  /// Answered by h2h-admin itself (help, quit), never sent to the node.
  bool local = false;
  /// Only reads: sent again on a new connection when the first one dropped
  /// before its answer. Commands that act (kick, broadcast...) are not, so
  /// that a lost answer never makes them happen twice.
  bool retry_safe = true;
};

/// `--limit`'s range (the node may cap it lower).
inline constexpr long long min_count = 1;
inline constexpr long long max_count = 10000;

/// Every command, in the order `help` lists them.
const std::vector<command_spec>& commands();

/// The command named `name` (case-insensitive), or nullptr.
const command_spec* find_command(std::string_view name);

/// "rooms [--node N] [--sort members|rate|mailbox] [--limit K]".
std::string usage(const command_spec& c);

} // namespace h2h::admin
