// A redis-server of a test's own on 127.0.0.1 (fork/exec, stopped by PID),
// raw RESP commands for what the registry API cannot write, and the node
// records the registry tests use.
#pragma once

#include "persistence/registry/node_registry.hpp"
#include "process.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace h2h::test {

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, close).
std::uint16_t free_port();

/// "h2htest-<16 random hex digits>": a key prefix no other test uses.
std::string random_prefix();

/// A node on 127.0.0.1 started now.
node_record node(const std::string& id, std::uint16_t cluster_port = 4242);

/// Whether `nodes` holds one with this id.
bool has(const std::vector<node_record>& nodes, const std::string& id);

/// Sends one command to Redis on 127.0.0.1:port (after AUTH and SELECT when
/// given) and returns the first line of its reply ("+OK", ":1", "-ERR ...").
/// Throws std::runtime_error when the server does not answer within 2 s.
std::string resp_command(std::uint16_t port,
                         const std::vector<std::string>& args,
                         const std::string& password = {}, int db = 0);

/// Sends several commands in one write, so that Redis runs them in one go;
/// returns the first line of the last reply.
std::string resp_pipeline(std::uint16_t port,
                          const std::vector<std::vector<std::string>>& commands,
                          const std::string& password = {}, int db = 0);

class redis_server {
public:
  /// Picks a free port; starts nothing yet. `extra` are more redis-server
  /// arguments (e.g. {"--requirepass", "pw"}).
  explicit redis_server(std::vector<std::string> extra = {});
  /// Kills the server if it runs.
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  /// Starts redis-server on port() and waits (at most 5 s) until it answers
  /// PING (an error reply to an unauthenticated PING counts). Throws
  /// std::runtime_error when it does not.
  void start();
  /// SIGKILL and wait: the server vanishes as a crashed one would.
  void kill();
  /// SIGSTOP / SIGCONT: a server that hangs with its connections open.
  void pause();
  void resume();

  std::uint16_t port() const {
    return port_;
  }
  std::string url() const {
    return "redis://127.0.0.1:" + std::to_string(port_);
  }

private:
  std::uint16_t port_;
  std::vector<std::string> extra_;
  temp_dir dir_;
  pid_t pid_ = -1;
};

} // namespace h2h::test
