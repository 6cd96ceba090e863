// A plain HTTP client reading a Server-Sent Events stream of a real h2hd
// (on raw_conn: the bytes as they come). Every call is bounded in time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "raw_conn.hpp"

namespace h2h::test {

/// One block of the stream: an event (id, event, data) or a comment.
struct sse_event {
  std::string id;
  std::string event;
  std::string data;
  /// The text of a comment line (": keep-alive" gives "keep-alive").
  std::string comment;
  bool is_comment() const {
    return id.empty() && event.empty() && data.empty();
  }
};

class sse_client : public raw_conn {
public:
  /// Sends `GET target` with `headers` and reads the response head (and,
  /// for an error, its body); throws when no answer comes in time.
  sse_client(std::uint16_t port, const std::string& target,
             const std::map<std::string, std::string>& headers = {},
             int receive_buffer_bytes = 0, bool read_head = true);

  /// Reads the head (when the constructor did not).
  void read_head(ms timeout = ms{5000});

  int status() const {
    return status_;
  }
  /// The response head, for header_value().
  const std::string& head() const {
    return head_;
  }
  /// The body of an error response.
  std::string body() const;

  /// The next block (event or comment); nullopt on timeout or close.
  std::optional<sse_event> next(ms timeout = ms{5000});

  /// The next event, comments skipped; nullopt on timeout or close.
  std::optional<sse_event> next_event(ms timeout = ms{5000});

private:
  int status_ = 0;
  std::string head_;
};

} // namespace h2h::test
