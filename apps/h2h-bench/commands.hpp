// The subcommands of h2h-bench and what they share: argument checks, pool
// set-up.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
#include "ws_load.hpp"

namespace h2h::bench {

/// One row of the subcommand table in main.cpp. `run` gets the arguments
/// after the subcommand's name, prints its own --help, returns the exit code.
struct command {
  std::string_view name;
  std::string_view summary; ///< one line for `h2h-bench --help`
  int (*run)(const std::vector<std::string>& args);
};

/// Exit codes shared by every subcommand.
inline constexpr int exit_ok = 0;
inline constexpr int exit_incomplete = 1;
inline constexpr int exit_usage = 2;

int run_fanout(const std::vector<std::string>& args);
int run_idle(const std::vector<std::string>& args);
int run_failover(const std::vector<std::string>& args);

/// Prints --help (returns exit_ok) or the parse errors (returns exit_usage);
/// nullopt when the options are good and the run should go ahead.
std::optional<int> handle_help_and_errors(std::string_view name,
                                          std::string_view summary,
                                          const std::vector<option_spec>& specs,
                                          const parse_result& parsed);

/// The pool configuration of the options, with the token file read; prints
/// the problem and returns nullopt when the token file is unusable.
std::optional<pool_config> make_pool_config(const bench_options& o);

/// Prints the report as JSON (one object, nothing else on stdout) or text.
void print_report(bool json, const std::string& json_text,
                  const std::string& text);

} // namespace h2h::bench
