// One h2h node: the actor system, the room directory and the public port,
// started in order and stopped in reverse.
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

  /// Listens, calls `on_listening` with the bound port, serves until
  /// SIGINT/SIGTERM, then drains and stops. Returns the exit code.
  int run(const std::function<void(std::uint16_t)>& on_listening);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h::net
