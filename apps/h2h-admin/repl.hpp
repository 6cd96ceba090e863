// h2h-admin at a terminal: GNU readline line editing, history, Tab
// completion from the command table and the live node, Ctrl-C, Ctrl-D.
#pragma once

#include "runner.hpp"

namespace h2h::admin {

/// History lines kept in ~/.h2h_admin_history.
inline constexpr int max_history_lines = 1000;

/// How long ids fetched for completion are reused.
inline constexpr int completion_cache_ms = 5000;

/// Runs the REPL until quit or Ctrl-D; the exit status (1 when some
/// command failed, as in the other modes).
int run_repl(runner& r);

} // namespace h2h::admin
