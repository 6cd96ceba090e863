// A cluster of real h2hd processes on 127.0.0.1 for the cluster suites.
#include "cluster_support.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "accounts.hpp"
#include "pty_session.hpp"

namespace h2h::test {

namespace {

/// Runs scripts/redis.sh with `args`; returns its first line of output.
std::string redis_script(const std::string& args) {
  auto cmd = std::string{H2H_SOURCE_DIR} + "/scripts/redis.sh " + args;
  auto* p = popen(cmd.c_str(), "r");
  if (!p)
    throw std::runtime_error("cannot run " + cmd);
  char buf[512] = {};
  std::string out;
  if (fgets(buf, sizeof buf, p))
    out = buf;
  auto rc = pclose(p);
  if (rc != 0)
    throw std::runtime_error(cmd + " failed");
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

} // namespace

std::optional<test_cluster> test_cluster::make(bool own_redis,
                                               bool own_mariadb) {
  auto mysql = shared_mysql_url();
  auto* redis = std::getenv("H2H_TEST_REDIS_URL");
  if (mysql.empty() || !redis || !*redis)
    return std::nullopt;
  test_cluster c;
  c.dir_ = std::make_unique<temp_dir>();
  if (own_mariadb) {
    c.db_ = std::make_unique<mariadb_instance>();
    c.mysql_ = fresh_mysql_database(c.db_->url());
  } else {
    c.mysql_ = fresh_mysql_database(mysql);
  }
  c.redis_ = redis;
  if (own_redis) {
    c.redis_dir_ = c.dir_->path() + "/redis";
    c.redis_ = redis_script("start " + c.redis_dir_);
  }
  std::random_device rd;
  c.prefix_ = "h2h-test-" + std::to_string(rd());
  return c;
}

test_cluster::~test_cluster() {
  nodes_.clear(); // the nodes first: they talk to Redis
  if (!redis_dir_.empty()) {
    try {
      redis_script("stop " + redis_dir_);
    } catch (const std::exception&) {
      // best effort: the temporary directory goes anyway
    }
  }
}

void test_cluster::stop_redis() {
  redis_script("stop " + redis_dir_);
}

void test_cluster::start_redis() {
  redis_script("start " + redis_dir_);
}

void test_cluster::kill_redis() {
  sigkill_pid_file(redis_dir_ + "/redis.pid.launch");
}

void test_cluster::kill_mariadb() {
  db_->kill();
}

void test_cluster::start_mariadb() {
  db_->start();
}

server_process& test_cluster::start(const std::string& id, bool accounts,
                                    const std::vector<std::string>& extra) {
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
  if (accounts)
    args.insert(args.end(), {"--auth.require_email_verification", "false"});
  args.insert(args.end(), extra.begin(), extra.end());
  auto p = std::make_unique<server_process>(
    H2HD_PATH, accounts ? with_accounts(args) : trusted_mode(args));
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

nlohmann::json admin_command(const server_process& node,
                             const std::string& command) {
  auto r = run_program(
    H2H_ADMIN_PATH,
    {"--port", std::to_string(node.admin_port()), "--json", "-c", command}, {},
    {}, std::chrono::seconds{20});
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j.is_discarded() ? nlohmann::json::object() : j;
}

} // namespace h2h::test
