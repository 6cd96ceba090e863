// h2h-bench history: durable messages per second through the persistence
// actor, batched and one per transaction, side by side.
#pragma once

#include <string>
#include <vector>

namespace h2h::bench {

/// Runs the subcommand; returns the process exit code.
int run_history(const std::vector<std::string>& args);

} // namespace h2h::bench
