// MySQL/MariaDB behind the sql layer (mysql-connector-c++ 1.1, the JDBC-style
// API). The only file that includes the connector's headers.
#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <mutex>
#include <unordered_map>

#include "persistence/sql/sql.hpp"

namespace h2h::sql {

namespace {

/// Client and server error codes after which the connection is unusable or
/// the operation may simply be retried.
bool is_transient(int code) {
  switch (code) {
    case 0:    // the connector's own "no connection" errors
    case 1040: // too many connections
    case 1053: // server shutdown in progress
    case 1205: // lock wait timeout
    case 1213: // deadlock
    case 1927: // connection killed
    case 2002: // cannot connect (socket)
    case 2003: // cannot connect (TCP)
    case 2006: // server has gone away
    case 2013: // lost connection during query
    case 2055: // lost connection at reading
      return true;
    default:
      return false;
  }
}

/// Server errors about the values of a statement (strict mode): the same
/// statement fails again, the other rows of a batch may be fine.
bool is_value_error(int code) {
  switch (code) {
    case 1048: // column cannot be null
    case 1264: // out of range value
    case 1265: // data truncated
    case 1292: // truncated incorrect value
    case 1366: // incorrect string value (e.g. not UTF-8)
    case 1367: // illegal value
    case 1406: // data too long for column
    case 1452: // a foreign key fails
    case 3819: // check constraint violated (MySQL)
    case 4025: // check constraint failed (MariaDB)
      return true;
    default:
      return false;
  }
}

store_error translate(const ::sql::SQLException& e, const std::string& what) {
  auto code = e.getErrorCode();
  std::string msg = what + ": " + e.what() + " (" + std::to_string(code) + ")";
  if (is_transient(code))
    return store_error(store_failure::unavailable, msg);
  if (code == 1062)
    return store_error(store_failure::conflict, msg);
  if (is_value_error(code))
    return store_error(store_failure::permanent, msg);
  return store_error(store_failure::fatal, msg);
}

::sql::Driver* driver() {
  static std::once_flag once;
  static ::sql::Driver* instance = nullptr;
  std::call_once(once,
                 [] { instance = ::sql::mysql::get_mysql_driver_instance(); });
  return instance;
}

class mysql_connection;

class mysql_rows final : public rows {
public:
  mysql_rows(mysql_connection& owner, ::sql::ResultSet* rs)
    : owner_(owner)
    , rs_(rs) {
  }
  bool next() override;
  bool is_null(int col) override;
  std::int64_t get_int(int col) override;
  std::string get_text(int col) override;

private:
  mysql_connection& owner_;
  std::unique_ptr<::sql::ResultSet> rs_;
};

class mysql_statement final : public statement {
public:
  mysql_statement(mysql_connection& owner, ::sql::PreparedStatement* ps)
    : owner_(owner)
    , ps_(ps) {
  }
  std::uint64_t execute(const std::vector<value>& params) override;
  std::unique_ptr<rows> query(const std::vector<value>& params) override;

private:
  void bind(const std::vector<value>& params) {
    unsigned i = 1;
    for (auto& p : params) {
      if (auto* n = std::get_if<std::int64_t>(&p))
        ps_->setInt64(i, *n);
      else if (auto* s = std::get_if<std::string>(&p))
        ps_->setString(i, *s);
      else
        ps_->setNull(i, ::sql::DataType::VARCHAR);
      ++i;
    }
  }

  mysql_connection& owner_;
  std::unique_ptr<::sql::PreparedStatement> ps_;
};

class mysql_connection final : public connection {
public:
  explicit mysql_connection(mysql_target target)
    : target_(std::move(target)) {
    driver()->threadInit();
    connect();
  }

  ~mysql_connection() override {
    statements_.clear();
    conn_.reset();
    driver()->threadEnd();
  }

  sql::dialect dialect() const override {
    return dialect::mysql;
  }

  statement& prepare(const std::string& text) override {
    ensure_connected();
    auto i = statements_.find(text);
    if (i != statements_.end())
      return *i->second;
    try {
      auto* ps = conn_->prepareStatement(text);
      return *statements_
                .emplace(text, std::make_unique<mysql_statement>(*this, ps))
                .first->second;
    } catch (const ::sql::SQLException& e) {
      throw failed(e, "prepare '" + text.substr(0, 60) + "'");
    }
  }

  void exec(const std::string& text) override {
    ensure_connected();
    try {
      std::unique_ptr<::sql::Statement> st{conn_->createStatement()};
      st->execute(text);
    } catch (const ::sql::SQLException& e) {
      throw failed(e, "exec '" + text.substr(0, 60) + "'");
    }
  }

  void begin() override {
    exec("START TRANSACTION");
  }

  void commit() override {
    exec("COMMIT");
  }

  std::int64_t last_insert_id() override {
    auto r = prepare("SELECT LAST_INSERT_ID()").query({});
    return r->next() ? r->get_int(0) : 0;
  }

  void rollback() noexcept override {
    if (!conn_ || broken_)
      return;
    try {
      std::unique_ptr<::sql::Statement> st{conn_->createStatement()};
      st->execute("ROLLBACK");
    } catch (const ::sql::SQLException&) {
      broken_ = true;
    }
  }

  /// Translates a connector error and forgets a connection it broke.
  store_error failed(const ::sql::SQLException& e, const std::string& what) {
    auto err = translate(e, what);
    if (err.kind() == store_failure::unavailable)
      broken_ = true;
    return err;
  }

private:
  void connect() {
    statements_.clear();
    conn_.reset();
    ::sql::ConnectOptionsMap opts;
    opts["hostName"] = ::sql::SQLString("tcp://" + target_.host + ":"
                                        + std::to_string(target_.port));
    opts["userName"] = ::sql::SQLString(target_.user);
    opts["password"] = ::sql::SQLString(target_.password);
    opts["schema"] = ::sql::SQLString(target_.database);
    opts["OPT_RECONNECT"] = false;
    // Every network call is bounded: a hung server fails, it does not hang.
    opts["OPT_CONNECT_TIMEOUT"] = 5;
    opts["OPT_READ_TIMEOUT"] = 30;
    opts["OPT_WRITE_TIMEOUT"] = 30;
    opts["OPT_CHARSET_NAME"] = ::sql::SQLString("utf8mb4");
    try {
      conn_.reset(driver()->connect(opts));
      // Strict on every connection, whatever the server's default: a value
      // a column cannot hold is an error, never silently cut.
      std::unique_ptr<::sql::Statement> st{conn_->createStatement()};
      st->execute("SET SESSION sql_mode = TRIM(BOTH ',' FROM"
                  " CONCAT(@@SESSION.sql_mode, ',STRICT_ALL_TABLES'))");
      broken_ = false;
    } catch (const ::sql::SQLException& e) {
      broken_ = true;
      throw store_error(store_failure::unavailable,
                        std::string{"connect to "} + target_.host + ":"
                          + std::to_string(target_.port) + ": " + e.what());
    }
  }

  void ensure_connected() {
    if (!conn_ || broken_)
      connect();
  }

  mysql_target target_;
  std::unique_ptr<::sql::Connection> conn_;
  bool broken_ = true;
  std::unordered_map<std::string, std::unique_ptr<mysql_statement>> statements_;
};

std::uint64_t mysql_statement::execute(const std::vector<value>& params) {
  try {
    bind(params);
    return static_cast<std::uint64_t>(ps_->executeUpdate());
  } catch (const ::sql::SQLException& e) {
    throw owner_.failed(e, "execute");
  }
}

std::unique_ptr<rows> mysql_statement::query(const std::vector<value>& params) {
  try {
    bind(params);
    return std::make_unique<mysql_rows>(owner_, ps_->executeQuery());
  } catch (const ::sql::SQLException& e) {
    throw owner_.failed(e, "query");
  }
}

// Reading results talks to the server too: a lost connection shows here.
bool mysql_rows::next() {
  try {
    return rs_->next();
  } catch (const ::sql::SQLException& e) {
    throw owner_.failed(e, "fetch");
  }
}

bool mysql_rows::is_null(int col) {
  try {
    return rs_->isNull(static_cast<std::uint32_t>(col + 1));
  } catch (const ::sql::SQLException& e) {
    throw owner_.failed(e, "fetch");
  }
}

std::int64_t mysql_rows::get_int(int col) {
  try {
    return rs_->getInt64(static_cast<std::uint32_t>(col + 1));
  } catch (const ::sql::SQLException& e) {
    throw owner_.failed(e, "fetch");
  }
}

std::string mysql_rows::get_text(int col) {
  try {
    return rs_->getString(static_cast<std::uint32_t>(col + 1)).asStdString();
  } catch (const ::sql::SQLException& e) {
    throw owner_.failed(e, "fetch");
  }
}

} // namespace

std::unique_ptr<connection> open_mysql(const mysql_target& target) {
  return std::make_unique<mysql_connection>(target);
}

} // namespace h2h::sql
