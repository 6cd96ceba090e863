// One timer for the deadlines of every session of a node. A session with an
// ENTER or a publish waiting asks for a tick (once, until it comes); every
// ask of a period is answered by the one tick the ticker arms for itself.
// Each delayed message of CAF 0.17 wakes the actor clock's thread: with a
// timer per session, a storm of 10,000 ENTERs woke it ~5,600 times (~10 %
// of the server's CPU while the connections opened, docs/benchmarks.md).
#pragma once

#include <chrono>
#include <vector>

#include <caf/all.hpp>

#include "actors/vocabulary/interfaces.hpp"

namespace h2h {

/// The ticker's public interface: a session asks for the next tick.
using session_ticker_actor
  = caf::typed_actor<caf::reacts_to<tick_ask_atom, session_actor>>;

/// Its own timer on top.
using session_ticker_impl
  = session_ticker_actor::extend<caf::reacts_to<tick_due_atom>>;

struct session_ticker_state {
  /// From the first ask after a tick to the next tick.
  std::chrono::milliseconds period{2000};
  /// Sessions that asked since the last tick. Weak: a session that ends
  /// meanwhile is not kept alive by its ask. Each session asks at most
  /// once per tick, so this holds at most one entry per session of the
  /// node (the connection limit bounds it).
  std::vector<caf::actor_addr> asked;
  bool armed = false;
  /// Ticks sent (the tests read it).
  std::uint64_t ticks_sent = 0;

  static inline const char* name = "h2h.session_ticker";
};

using session_ticker_pointer
  = session_ticker_impl::stateful_pointer<session_ticker_state>;

/// Spawnable behaviour; answers each ask with a `sess_tick_atom` at most
/// `period` later.
session_ticker_impl::behavior_type
session_ticker(session_ticker_pointer self, std::chrono::milliseconds period);

} // namespace h2h
