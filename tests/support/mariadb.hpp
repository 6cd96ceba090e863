// MariaDB for integration tests: a private server we can stop and start
// (scripts/mariadb.sh), and fresh databases on the shared one.
#pragma once

#include <string>

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

} // namespace h2h::test
