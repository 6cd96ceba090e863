// Process-wide logging set-up (spdlog to stderr).
#pragma once

#include <string>

namespace h2h::config {

/// Configures the default logger; `level` was validated by the loader.
void init_logging(const std::string& level);

} // namespace h2h::config
