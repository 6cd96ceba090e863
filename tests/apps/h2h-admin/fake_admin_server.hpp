// A small stand-in for a node's admin port: a real TCP server on
// 127.0.0.1:0 that answers each request line with a canned JSON line per
// command and records what it received.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace h2h::test {

class fake_admin_server {
public:
  /// Listens on 127.0.0.1, port 0, and serves on a thread of its own.
  fake_admin_server();
  ~fake_admin_server();

  fake_admin_server(const fake_admin_server&) = delete;
  fake_admin_server& operator=(const fake_admin_server&) = delete;

  std::uint16_t port() const {
    return port_;
  }

  /// The line answered to requests whose "cmd" is `cmd` (without '\n').
  /// Commands without an answer get ADMIN_UNKNOWN_COMMAND.
  void answer(const std::string& cmd, const std::string& line);

  /// Requests whose "cmd" is `cmd` get no answer at all (a node that hangs).
  void never_answer(const std::string& cmd);

  /// The next `n` requests close the connection instead of answering (a
  /// node that restarted, an idle timeout).
  void drop_next(int n);

  /// After answering a request whose "cmd" is `cmd`, the fake closes the
  /// connection (as a node closes an idle one).
  void hang_up_after(const std::string& cmd);

  /// Connections the fake has closed so far (all of its side is done).
  int closed_connections() const {
    return closed_;
  }

  /// Every request line received, in order (auth included).
  std::vector<std::string> received() const;

  /// The "cmd" of every request received, in order.
  std::vector<std::string> commands() const;

  /// Connections accepted so far.
  int connections() const {
    return connections_;
  }

  /// Waits (bounded) until `n` requests have been received.
  bool wait_received(std::size_t n, std::chrono::milliseconds timeout
                                    = std::chrono::seconds{5}) const;

  /// Waits (bounded) until the fake has closed `n` connections.
  bool wait_closed(int n, std::chrono::milliseconds timeout
                          = std::chrono::seconds{5}) const;

private:
  void serve();
  void serve_connection(int fd);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> closed_{0};
  mutable std::mutex mutex_;
  std::map<std::string, std::string> answers_;
  std::vector<std::string> silent_;
  std::vector<std::string> hang_ups_;
  int drops_ = 0;
  std::vector<std::string> received_;
  std::thread thread_;
};

} // namespace h2h::test
