// Process-wide logging set-up (spdlog to stderr).
#include "config/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace h2h::config {

void init_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("h2h");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%t] %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

} // namespace h2h::config
