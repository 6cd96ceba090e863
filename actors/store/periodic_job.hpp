// A job that runs now and then on a schedule of its own (the purge of
// expired sessions, refresh tokens and codes): one run at a time, every
// interval, sooner while the last run left work behind.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <caf/stateful_actor.hpp>

namespace h2h {

struct periodic_settings {
  /// From the end of one run to the start of the next.
  std::chrono::milliseconds interval{3600000};
  /// From the end of a run that left work behind to the next run.
  std::chrono::milliseconds backlog_pause{1000};
  /// From the start of the actor to the first run.
  std::chrono::milliseconds first_delay{10000};
  /// Names the job in logs.
  std::string name = "periodic job";
};

/// Starts one run. The run calls `done(more)` exactly once when it ends,
/// from any thread; `more` says that work is left.
using periodic_task = std::function<void(std::function<void(bool more)> done)>;

struct periodic_state {
  periodic_settings cfg;
  periodic_task task;
  bool running = false;

  static inline const char* name = "h2h.periodic_job";
};

/// Spawnable behaviour.
caf::behavior periodic_job(caf::stateful_actor<periodic_state>* self,
                           periodic_settings cfg, periodic_task task);

} // namespace h2h
