// A raw blocking TCP client on 127.0.0.1 for tests that must see exactly the
// bytes on the wire (e.g. that a HEAD answer has no body).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace h2h::test {

class raw_conn {
public:
  /// Connects to 127.0.0.1:port; throws std::runtime_error on failure.
  explicit raw_conn(std::uint16_t port);
  ~raw_conn();

  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;

  void send(std::string_view bytes);

  /// Reads one HTTP response: its head and, unless it answers a HEAD, a body
  /// of Content-Length bytes. Whatever came after stays in pending().
  /// Throws std::runtime_error when the peer closes or 5 s pass first.
  std::string read_response(bool answers_head = false);

  /// Bytes received and not yet returned.
  const std::string& pending() const {
    return buf_;
  }

  /// True when the peer closes the connection within `timeout` (bytes
  /// that arrive meanwhile go to pending()).
  bool closed_within(std::chrono::milliseconds timeout);

private:
  /// Receives more bytes into buf_; false when the peer closed.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buf_;
};

/// The value of header `name` (case-insensitive) in a response head, or "".
std::string header_value(const std::string& response, std::string_view name);

} // namespace h2h::test
