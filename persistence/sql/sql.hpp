// A small SQL layer over SQLite and MySQL connections, so that one store
// implementation serves both. Each vendor header lives in exactly one file
// (sqlite_db.cpp, mysql_db.cpp); errors arrive here as store_error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "config/mysql_url.hpp"
#include "persistence/store.hpp"

namespace h2h::sql {

enum class dialect { sqlite, mysql };

/// A parameter or column value.
using value = std::variant<std::nullptr_t, std::int64_t, std::string>;

/// The result rows of a query; the statement is busy until this is gone.
class rows {
public:
  virtual ~rows() = default;
  /// Moves to the next row; false at the end.
  virtual bool next() = 0;
  virtual bool is_null(int col) = 0;
  virtual std::int64_t get_int(int col) = 0;
  virtual std::string get_text(int col) = 0;
};

class statement {
public:
  virtual ~statement() = default;
  /// Runs a statement without results; returns the rows it changed.
  virtual std::uint64_t execute(const std::vector<value>& params) = 0;
  /// Runs a query.
  virtual std::unique_ptr<rows> query(const std::vector<value>& params) = 0;
};

/// One database connection. Not thread-safe.
class connection {
public:
  virtual ~connection() = default;
  virtual sql::dialect dialect() const = 0;
  /// A prepared statement, cached by its text. The reference stays valid
  /// until the next call that fails with store_failure::unavailable.
  virtual statement& prepare(const std::string& text) = 0;
  /// Runs one statement without parameters (DDL).
  virtual void exec(const std::string& text) = 0;
  virtual void begin() = 0;
  virtual void commit() = 0;
  /// Never throws; a broken connection is reopened by the next call.
  virtual void rollback() noexcept = 0;
  /// The id the last INSERT on this connection generated.
  virtual std::int64_t last_insert_id() = 0;
};

/// Opens (creating it if needed) a SQLite database file in WAL mode.
std::unique_ptr<connection> open_sqlite(const std::string& path);

// Where a MySQL/MariaDB database is, and the parser of its mysql:// URL:
// the loader's, so that a URL that passed start-up is the one we open.
using config::mysql_target;
using config::parse_mysql_url;

/// Opens a MySQL/MariaDB connection; reconnects by itself after a failure.
std::unique_ptr<connection> open_mysql(const mysql_target& target);

} // namespace h2h::sql
