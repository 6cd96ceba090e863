// A token bucket: how fast a connection may send (messages, ENTERs, EXITs).
#pragma once

#include <caf/actor_clock.hpp>

namespace h2h {

/// A token bucket: `rate` tokens per second, at most `burst` saved up.
struct token_bucket {
  double tokens = 40;
  caf::actor_clock::time_point last{};

  /// Takes one token if there is one; `rate` tokens come back per second,
  /// up to `burst`. A clock that goes backwards refills nothing until it
  /// is past the last time seen again (no time is counted twice).
  bool take(caf::actor_clock::time_point now, double rate, double burst);
};

} // namespace h2h
