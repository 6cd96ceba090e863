// MariaDB for integration tests: a private server we can stop and start
// (scripts/mariadb.sh), fresh databases on the shared one, and h2hd's
// arguments for a suite that runs on SQLite and on MariaDB.
#include "mariadb.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace h2h::test {

namespace {

std::string run(const std::string& cmd) {
  std::array<char, 512> buf;
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p{popen(cmd.c_str(), "r"), pclose};
  if (!p)
    throw std::runtime_error("cannot run " + cmd);
  while (fgets(buf.data(), buf.size(), p.get()))
    out += buf.data();
  auto rc = pclose(p.release());
  if (rc != 0)
    throw std::runtime_error(cmd + " failed (" + std::to_string(rc)
                             + "): " + out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

std::string script() {
  return std::string{H2H_SOURCE_DIR} + "/scripts/mariadb.sh";
}

} // namespace

mariadb_instance::mariadb_instance() {
  char tmpl[] = "/tmp/h2h-mariadb-XXXXXX";
  dir_ = mkdtemp(tmpl);
  start();
}

mariadb_instance::~mariadb_instance() {
  try {
    stop();
  } catch (...) {
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void mariadb_instance::start() {
  url_ = run(script() + " start " + dir_ + " 2>&1 | tail -n 1");
  if (url_.rfind("mysql://", 0) != 0)
    throw std::runtime_error("mariadb did not start: " + url_);
  running_ = true;
}

void mariadb_instance::stop() {
  if (running_)
    run(script() + " stop " + dir_);
  running_ = false;
}

void mariadb_instance::kill() {
  if (running_)
    sigkill_pid_file(dir_ + "/mariadbd.pid.launch");
  running_ = false;
}

std::string fresh_mysql_database(const std::string& base_url) {
  static std::atomic<int> counter{0};
  // mysql://user:pass@host:port/db
  auto at = base_url.rfind('@');
  auto slash = base_url.find('/', at);
  auto hostport = base_url.substr(at + 1, slash - at - 1);
  auto colon = hostport.rfind(':');
  auto port = hostport.substr(colon + 1);
  auto name
    = "h2h_it_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  run("mariadb --no-defaults -h127.0.0.1 -P" + port
      + " -uh2h -psecret -e 'CREATE DATABASE " + name
      + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'");
  return base_url.substr(0, slash + 1) + name;
}

std::string shared_mysql_url() {
  auto* url = std::getenv("H2H_TEST_MYSQL_URL");
  return url ? url : "";
}

std::optional<std::vector<std::string>>
local_args_on(const std::string& store_kind, const temp_dir& dir) {
  if (store_kind == "sqlite")
    return local_args(dir);
  if (store_kind != "mysql")
    throw std::invalid_argument("no store kind " + store_kind);
  auto base = shared_mysql_url();
  if (base.empty())
    return std::nullopt;
  return std::vector<std::string>{"--port",
                                  "0",
                                  "--bind",
                                  "127.0.0.1",
                                  "--store.kind",
                                  "mysql",
                                  "--store.mysql_url",
                                  fresh_mysql_database(base)};
}

} // namespace h2h::test
