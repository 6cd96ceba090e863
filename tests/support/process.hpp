// Starts a real h2hd on port 0 for integration tests, stops it by PID and
// shows its log when the test fails.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace h2h::test {

class server_process {
public:
  /// Starts `binary args...` with extra environment variables, and waits
  /// (bounded) for its "listening on ADDR:PORT" line and its "metrics
  /// listening on ADDR:PORT" and "admin listening on ADDR:PORT" lines.
  /// Unless the arguments or `env` choose them, the metrics port is 0 on
  /// 127.0.0.1 and the admin port 0, so that tests never collide on the
  /// defaults 9100 and 4243. Throws on failure.
  server_process(const std::string& binary, std::vector<std::string> args,
                 std::map<std::string, std::string> env = {},
                 std::chrono::milliseconds startup_timeout
                 = std::chrono::seconds{20});

  /// Stops the process if it still runs (SIGTERM, then SIGKILL). When the
  /// running test has failed (or an exception ends it), prints the log to
  /// stderr first.
  ~server_process();

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  std::uint16_t port() const {
    return port_;
  }

  /// The port of the metrics listener (/metrics).
  std::uint16_t metrics_port() const {
    return metrics_port_;
  }

  /// The admin port (docs/admin.md).
  std::uint16_t admin_port() const {
    return admin_port_;
  }

  pid_t pid() const {
    return pid_;
  }

  /// Sends a signal to the process.
  void signal(int signo) const;

  /// Waits for the process to exit; returns its exit status (or -signal),
  /// or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// SIGTERM and wait; returns the exit status or nullopt on timeout.
  std::optional<int> stop(std::chrono::milliseconds timeout
                          = std::chrono::seconds{10});

  /// What the process wrote to stderr so far (its log).
  std::string log() const;

private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t metrics_port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::string log_path_;
  int stdout_fd_ = -1;
  bool exited_ = false;
};

/// SIGKILLs the process whose PID the file `pid_file` holds (a server a
/// script started, not our child), waits (bounded) until it is gone and
/// removes the file; false when there was no such process.
bool sigkill_pid_file(const std::string& pid_file,
                      std::chrono::milliseconds timeout
                      = std::chrono::seconds{10});

/// A temporary directory removed (recursively) at destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

/// The arguments every test's h2hd starts with: the public port 0 on
/// 127.0.0.1 and its SQLite file in `dir`; then `more`.
std::vector<std::string> local_args(const temp_dir& dir,
                                    const std::vector<std::string>& more = {});

/// `args` in trusted mode (auth.required = false: frames name their
/// sender, as the seed protocol's clients do) with a per-connection send
/// limit (100000 messages/s) that no test reaches: as the protocol suites
/// run.
std::vector<std::string> trusted_mode(std::vector<std::string> args);

/// Sends one HTTP/1.1 request to 127.0.0.1:port; returns status and body.
struct http_result {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};
http_result
http_request(std::uint16_t port, const std::string& method,
             const std::string& target, const std::string& body = {},
             const std::map<std::string, std::string>& headers = {});
/// The same to `host` (an IPv4 address: a node in a network namespace).
http_result
http_request_at(const std::string& host, std::uint16_t port,
                const std::string& method, const std::string& target,
                const std::string& body = {},
                const std::map<std::string, std::string>& headers = {});

} // namespace h2h::test
