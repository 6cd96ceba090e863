// A raw TCP client on 127.0.0.1 for tests that must see exactly the bytes on
// the wire (a HEAD answer without a body; raw_ws builds its WebSocket frames
// on it). Every call is bounded in time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace h2h::test {

class raw_conn {
public:
  using ms = std::chrono::milliseconds;

  /// Connects to 127.0.0.1:port, with SO_RCVBUF set first when
  /// `receive_buffer_bytes` > 0 (0 = the kernel's default); throws
  /// std::runtime_error on failure.
  explicit raw_conn(std::uint16_t port, int receive_buffer_bytes = 0);
  ~raw_conn();

  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;

  /// Writes `bytes` completely; false when the connection is gone or the
  /// timeout passed.
  bool send_raw(std::string_view bytes, ms timeout = ms{5000});

  /// Writes `bytes` completely; throws std::runtime_error when that fails.
  void send(std::string_view bytes);

  /// Writes what fits without waiting: the bytes taken, 0 when the socket
  /// is full, -1 when the connection is gone (reset, closed).
  long try_send(std::string_view bytes);

  /// Reads one HTTP response: its head and, unless it answers a HEAD, a body
  /// of Content-Length bytes. Whatever came after stays in pending().
  /// Throws std::runtime_error when the peer closes or `timeout` passes
  /// first.
  std::string read_response(bool answers_head = false, ms timeout = ms{5000});

  /// Bytes received and not yet returned.
  const std::string& pending() const {
    return in_;
  }

  /// True when the peer closes the connection within `timeout` (bytes
  /// that arrive meanwhile go to pending()).
  bool closed_within(ms timeout);

  /// True once the peer closed the connection (seen by a read).
  bool eof() const {
    return eof_;
  }

protected:
  /// Receives more bytes into in_; false on timeout or once the peer closed
  /// (eof() tells which).
  bool fill(std::chrono::steady_clock::time_point deadline);

  /// Bytes received and not yet consumed.
  std::string in_;

private:
  int fd_ = -1;
  bool eof_ = false;
};

/// The value of header `name` (case-insensitive) in a response head, or "".
std::string header_value(const std::string& response, std::string_view name);

} // namespace h2h::test
