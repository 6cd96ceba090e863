// One h2h node: the actor system, the room directory, the metrics port and
// the public port, started in order and stopped in reverse.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "config/config.hpp"

namespace h2h::net {

class node {
public:
  explicit node(const config::settings& settings);
  ~node();

  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Listens on the metrics port and calls `on_metrics_listening` with it,
  /// on the admin port (`on_admin_listening`), then on the public port and
  /// calls `on_listening`; serves until SIGINT/SIGTERM, then drains and stops.
  /// Returns the exit code.
  int run(const std::function<void(std::uint16_t)>& on_listening,
          const std::function<void(std::uint16_t)>& on_metrics_listening = {},
          const std::function<void(std::uint16_t)>& on_admin_listening = {});

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h::net
