// h2h-admin's command line: flags, environment and --help text. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace h2h::admin {

/// Exit statuses of h2h-admin.
inline constexpr int exit_ok = 0;
inline constexpr int exit_command_failed = 1;
inline constexpr int exit_usage = 2; ///< bad flags, or cannot connect

struct cli_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4243;
  /// --token, else H2H_ADMIN_TOKEN; empty: no auth request is sent.
  std::string token;
  /// -c COMMAND: run it and leave.
  std::optional<std::string> command;
  bool json = false;
  /// Connecting, and waiting for each answer.
  int connect_timeout_ms = 3000;
  int answer_timeout_ms = 10000;
  bool show_help = false;
  bool show_version = false;
  /// Non-empty: what is wrong with the flags.
  std::string error;
};

/// Reads the flags (without argv[0]) and the environment.
cli_options parse_cli(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env);

/// The text of --help.
std::string cli_help_text();

} // namespace h2h::admin
