// A cluster of real h2hd processes on 127.0.0.1 for the cluster suites.
#include "cluster_support.hpp"

#include <signal.h>

#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "mariadb.hpp"

namespace h2h::test {

std::optional<test_cluster> test_cluster::make() {
  auto mysql = shared_mysql_url();
  auto* redis = std::getenv("H2H_TEST_REDIS_URL");
  if (mysql.empty() || !redis || !*redis)
    return std::nullopt;
  test_cluster c;
  c.dir_ = std::make_unique<temp_dir>();
  c.mysql_ = fresh_mysql_database(mysql);
  c.redis_ = redis;
  std::random_device rd;
  c.prefix_ = "h2h-test-" + std::to_string(rd());
  return c;
}

test_cluster::~test_cluster() = default;

server_process& test_cluster::start(const std::string& id) {
  std::vector<std::string> args{"--port",
                                "0",
                                "--bind",
                                "127.0.0.1",
                                "--store.kind",
                                "mysql",
                                "--store.mysql_url",
                                mysql_,
                                "--cluster.enabled",
                                "true",
                                "--cluster.port",
                                "0",
                                "--cluster.advertise_host",
                                "127.0.0.1",
                                "--cluster.node_id",
                                id,
                                "--redis.url",
                                redis_,
                                "--redis.key_prefix",
                                prefix_,
                                "--log-level",
                                "info"};
  auto p = std::make_unique<server_process>(H2HD_PATH, trusted_mode(args));
  auto& ref = *p;
  nodes_[id] = std::move(p);
  return ref;
}

server_process& test_cluster::node(const std::string& id) {
  auto i = nodes_.find(id);
  if (i == nodes_.end())
    throw std::out_of_range("no running node " + id);
  return *i->second;
}

void test_cluster::kill(const std::string& id) {
  auto& n = node(id);
  n.signal(SIGKILL);
  n.wait(std::chrono::seconds{10});
  nodes_.erase(id);
}

std::size_t test_cluster::nodes_seen(const std::string& id) {
  try {
    auto r = http_request(node(id).port(), "GET", "/readyz");
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("cluster"))
      return 0;
    return j["cluster"].value("nodes", std::size_t{0});
  } catch (const std::exception&) {
    return 0;
  }
}

bool test_cluster::wait_nodes(std::size_t n,
                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (auto& [id, p] : nodes_)
      if (nodes_seen(id) != n) {
        all = false;
        break;
      }
    if (all)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return false;
}

} // namespace h2h::test
