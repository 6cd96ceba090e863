// Runs h2h-admin's lines against one node: parse, send (connecting again
// once when the connection dropped), print the answer.
#pragma once

#include <csignal>
#include <ostream>
#include <string>
#include <string_view>

#include "cli_options.hpp"
#include "connection.hpp"

namespace h2h::admin {

class runner {
public:
  explicit runner(const cli_options& options);

  connection& conn() {
    return conn_;
  }

  /// Sends `request`; when the connection turns out dropped, connects again
  /// once and sends it again, unless it was sent already and is not
  /// `retry_safe` (a lost answer must not make a kick happen twice).
  connection::outcome send(const std::string& request, bool retry_safe,
                           int timeout_ms,
                           const volatile std::sig_atomic_t* interrupted);

  struct line_result {
    bool ok = true;
    bool quit = false;
  };

  /// Runs one line: help to `out`, answers to `out`, local errors (a bad
  /// argument, no answer) to `err` prefixed with `where`.
  line_result run(std::string_view line, std::ostream& out, std::ostream& err,
                  const std::string& where = "",
                  const volatile std::sig_atomic_t* interrupted = nullptr);

private:
  cli_options options_;
  connection conn_;
};

/// Wall-clock ms now, for ages in the rendered answers.
std::int64_t wall_ms();

} // namespace h2h::admin
