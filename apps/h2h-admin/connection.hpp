// One TCP connection to a node's admin port: connect (and authenticate)
// within a timeout, send a request line, read its answer line within a
// timeout; Ctrl-C (a flag set by SIGINT) abandons the wait.
#pragma once

#include <csignal>
#include <cstdint>
#include <string>

namespace h2h::admin {

/// Answers longer than this are refused (the connection is closed).
inline constexpr std::size_t max_answer_bytes = 16 * 1024 * 1024;

class connection {
public:
  /// Nothing connects yet.
  connection(std::string host, std::uint16_t port, std::string token,
             int connect_timeout_ms);
  ~connection();

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// "127.0.0.1:4243", "[::1]:4243".
  std::string endpoint() const;

  /// Connects, then sends `auth` when there is a token. Empty when done,
  /// else why not (and the connection stays closed). `auth_refused` tells
  /// that the node answered but refused the token.
  std::string open(bool* auth_refused = nullptr);

  void close();

  bool is_open() const {
    return fd_ >= 0;
  }

  struct outcome {
    enum class status {
      answered,   ///< `answer` holds the line (without '\n')
      dropped,    ///< the node closed the connection (or it broke)
      timed_out,  ///< no answer within the timeout
      interrupted ///< *interrupted became non-zero while waiting
    };
    status what = status::dropped;
    std::string answer;
    /// Why, for every status but answered.
    std::string error;
    /// The whole request went out (a dropped connection may have done it).
    bool sent = false;
  };

  /// Sends `request` (one line, without '\n') and waits for its answer. Any
  /// outcome but answered closes the connection: a late answer must not be
  /// taken for the next request's.
  outcome exchange(const std::string& request, int timeout_ms,
                   const volatile std::sig_atomic_t* interrupted = nullptr);

private:
  std::string host_;
  std::uint16_t port_;
  std::string token_;
  int connect_timeout_ms_;
  int fd_ = -1;
  std::string in_;
};

} // namespace h2h::admin
