// Builds the settings from defaults, a config file, the environment and the
// command line, and validates the result.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace h2h::config {

/// Looks up an environment variable; returns nullopt when it is not set.
using env_lookup
  = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment.
env_lookup process_env();

/// What the command line asked for, besides the settings.
struct load_result {
  settings values;
  /// Every problem found; non-empty means "do not start".
  std::vector<std::string> errors;
  /// Things worth a log line (e.g. an unknown H2H_ variable).
  std::vector<std::string> warnings;
  std::string config_file;
  bool show_help = false;
  bool show_version = false;
  bool check_only = false;
  bool print_example = false;
};

/// Parses an INI-style text (`[section]`, `key = value`, `#` comments) into
/// `out`. Problems are appended to `errors`, prefixed with `origin:line`.
void apply_file_text(settings& out, std::string_view text,
                     const std::string& origin,
                     std::vector<std::string>& errors);

/// Loads defaults < file (--config or H2H_CONFIG) < environment < flags, then
/// validates. Never throws and never exits.
load_result load(const std::vector<std::string>& args, const env_lookup& env);

/// Semantic checks across keys; returns every problem found.
std::vector<std::string> validate(const settings& s);

/// The text of `--help`.
std::string help_text(std::string_view program);

/// The example configuration file, generated from the key table.
std::string example_file_text();

} // namespace h2h::config
