// The table of configuration keys: names, help, parsing and printing.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace h2h::config {

/// One configurable key, e.g. `server.port`.
struct key_info {
  std::string section;
  std::string key;
  std::string help;
  /// Parses `text` into the settings; returns a problem description on failure.
  std::function<std::optional<std::string>(settings&, std::string_view text)>
    set;
  /// Renders the current value.
  std::function<std::string(const settings&)> get;
  /// Never printed (keys, passwords, URLs with credentials).
  bool secret = false;
  /// A URL printed with its password masked (redis.url).
  bool masked_password = false;

  /// The value as --check-config and logs may show it: a secret that is set
  /// as "<set, not shown>", a URL's password as "***".
  std::string shown(const settings& s) const;

  /// `section.key`
  std::string name() const {
    return section + "." + key;
  }
  /// `H2H_SECTION_KEY`
  std::string env_name() const;
};

/// Every key, in the order of the example file.
const std::vector<key_info>& all_keys();

/// Finds a key by its dotted name, or returns nullptr.
const key_info* find_key(std::string_view dotted_name);

} // namespace h2h::config
