// A cluster of real h2hd processes on 127.0.0.1 for the cluster suites: the
// shared MariaDB (H2H_TEST_MYSQL_URL, a fresh database per cluster), the
// shared Redis (H2H_TEST_REDIS_URL, a fresh key prefix per cluster), nodes
// n1..nN started, killed and restarted by PID.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mariadb.hpp"
#include "process.hpp"

namespace h2h::test {

class test_cluster {
public:
  /// Empty when the shared MariaDB or Redis is not configured (skip then).
  /// With `own_redis`, the cluster gets a Redis server of its own
  /// (scripts/redis.sh in a temporary directory) that the test may stop and
  /// start again; with `own_mariadb`, a MariaDB server of its own
  /// (scripts/mariadb.sh) that the test may kill and start again.
  static std::optional<test_cluster> make(bool own_redis = false,
                                          bool own_mariadb = false);

  test_cluster(test_cluster&& other) noexcept
    : dir_(std::move(other.dir_))
    , mysql_(std::move(other.mysql_))
    , redis_(std::move(other.redis_))
    , prefix_(std::move(other.prefix_))
    , redis_dir_(std::exchange(other.redis_dir_, {}))
    , db_(std::move(other.db_))
    , nodes_(std::move(other.nodes_)) {
  }
  test_cluster& operator=(test_cluster&&) = delete;
  ~test_cluster();

  /// Starts node `id`: in trusted mode (frames name their sender), or with
  /// `accounts` (tokens; every node shares the test JWT key, members sign
  /// up without an email code).
  /// `extra` arguments come last.
  server_process& start(const std::string& id, bool accounts = false,
                        const std::vector<std::string>& extra = {});

  /// The running node `id`.
  server_process& node(const std::string& id);

  /// SIGKILLs node `id` and forgets it.
  void kill(const std::string& id);

  /// Waits (bounded) until every running node sees `n` live nodes in its
  /// /readyz; false on timeout.
  bool wait_nodes(std::size_t n,
                  std::chrono::milliseconds timeout = std::chrono::seconds{20});

  /// The live node count node `id` reports (0 when /readyz fails).
  std::size_t nodes_seen(const std::string& id);

  /// Stops / starts again the cluster's own Redis (same port).
  void stop_redis();
  void start_redis();
  /// SIGKILLs the cluster's own Redis by its PID (no clean shutdown).
  void kill_redis();

  /// SIGKILLs / starts again the cluster's own MariaDB (same port, data).
  void kill_mariadb();
  void start_mariadb();

  const std::string& mysql_url() const {
    return mysql_;
  }

private:
  test_cluster() = default;
  std::unique_ptr<temp_dir> dir_;
  std::string mysql_;
  std::string redis_;
  std::string prefix_;
  /// The directory of the cluster's own Redis (empty: the shared one).
  std::string redis_dir_;
  /// The cluster's own MariaDB (null: the shared one).
  std::unique_ptr<mariadb_instance> db_;
  std::map<std::string, std::unique_ptr<server_process>> nodes_;
};

/// A fresh cluster per test (`cluster_`, no node started), skipped when
/// the shared MariaDB or Redis is not configured. A fixture that does more
/// in its SetUp calls this one first and returns when `!cluster_`.
class cluster_fixture : public ::testing::Test {
protected:
  void SetUp() override {
    auto c = test_cluster::make();
    if (!c)
      GTEST_SKIP() << "H2H_TEST_MYSQL_URL or H2H_TEST_REDIS_URL is not set";
    cluster_.emplace(std::move(*c));
  }

  std::optional<test_cluster> cluster_;
};

/// `h2h-admin --json -c command` against `node`'s admin port: its answer
/// (an empty object, and a test failure, when it is not JSON).
nlohmann::json admin_command(const server_process& node,
                             const std::string& command);

} // namespace h2h::test
