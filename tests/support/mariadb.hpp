// MariaDB for integration tests: a private server we can stop and start
// (scripts/mariadb.sh), fresh databases on the shared one, and h2hd's
// arguments for a suite that runs on SQLite and on MariaDB.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "process.hpp"

namespace h2h::test {

/// A MariaDB server of this test only, in a temporary directory.
class mariadb_instance {
public:
  mariadb_instance();
  ~mariadb_instance();

  /// mysql://h2h:secret@127.0.0.1:PORT/h2h
  const std::string& url() const {
    return url_;
  }

  void stop();
  void start();
  /// SIGKILLs mariadbd by its PID (a crash: no clean shutdown); start()
  /// brings it back on the same port and data.
  void kill();

private:
  std::string dir_;
  std::string url_;
  bool running_ = false;
};

/// Creates a new empty database on the server of `base_url` and returns the
/// URL of it.
std::string fresh_mysql_database(const std::string& base_url);

/// The base URL of the shared test server (H2H_TEST_MYSQL_URL), or empty.
std::string shared_mysql_url();

/// local_args() with the store of `store_kind`: "sqlite" (the file in
/// `dir`) or "mysql" (a fresh database on the shared server). nullopt for
/// "mysql" when H2H_TEST_MYSQL_URL is not set: skip the test then.
std::optional<std::vector<std::string>>
local_args_on(const std::string& store_kind, const temp_dir& dir);

} // namespace h2h::test
