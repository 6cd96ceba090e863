// Parsing of store.mysql_url (mysql://user[:password]@host[:port]/database),
// checked at start-up by the loader and used by the store to connect.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace h2h::config {

/// Where a MySQL/MariaDB database is.
struct mysql_target {
  std::string user;
  std::string password;
  std::string host = "127.0.0.1";
  std::uint16_t port = 3306;
  std::string database;
};

/// Parses mysql://user[:password]@host[:port]/database into `out` (changed
/// only when the whole URL is valid); otherwise says what is wrong in
/// `problem` (never the password) and returns false. User, password and
/// database are percent-decoded; a broken escape ("%4", "%zz") is refused.
/// The password may hold '@' unencoded (the last '@' ends it).
bool parse_mysql_url(std::string_view url, mysql_target& out,
                     std::string& problem);

} // namespace h2h::config
