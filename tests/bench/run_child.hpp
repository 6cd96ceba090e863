// Runs a program to its end, bounded in time, collecting its stdout (for
// the benchmark tools and their smoke tests).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace h2h::test {

struct child_result {
  int exit_code = -1; ///< -1: killed at the limit, or ended by a signal
  std::string out;
};

/// Runs `binary args...` (stderr passes through); SIGKILLs it if it
/// outlives `limit`.
child_result run_child(const std::string& binary,
                       const std::vector<std::string>& args,
                       std::chrono::milliseconds limit);

} // namespace h2h::test
