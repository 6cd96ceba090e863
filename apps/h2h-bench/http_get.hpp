// A blocking HTTP GET for h2h-bench's questions before and after a run
// (/readyz, room history); never used while the load runs.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace h2h::bench {

struct http_answer {
  int status = 0;
  std::string body;
};

/// GET `target` from host:port (with `bearer` as the access token when not
/// empty), bounded by `limit`; nullopt (with `error`
/// set) when the server cannot be reached or does not answer in time.
std::optional<http_answer>
http_get(const std::string& host, const std::string& port,
         const std::string& target, std::chrono::milliseconds limit,
         std::string& error, const std::string& bearer = {});

} // namespace h2h::bench
