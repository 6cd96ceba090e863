// SQLite behind the sql layer. The only file that includes sqlite3.h.
#include <sqlite3.h>

#include <filesystem>
#include <unordered_map>

#include "persistence/sql/sql.hpp"

namespace h2h::sql {

namespace {

/// What a retry can do about a result code (extended codes are on).
store_failure classify(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return store_failure::conflict;
    default:
      break;
  }
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
      return store_failure::unavailable;
    // CHECK, NOT NULL and our length trigger (CONSTRAINT_TRIGGER); a value
    // over SQLite's own limits; a type mismatch: the values are the problem.
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      return store_failure::permanent;
    default:
      return store_failure::fatal;
  }
}

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
  std::string msg
    = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  throw store_error(classify(rc), msg);
}

class sqlite_statement;

class sqlite_rows final : public rows {
public:
  sqlite_rows(sqlite3* db, sqlite3_stmt* st)
    : db_(db)
    , st_(st) {
  }
  ~sqlite_rows() override {
    sqlite3_reset(st_);
  }
  bool next() override {
    auto rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW)
      return true;
    if (rc == SQLITE_DONE)
      return false;
    fail(db_, rc, "query");
  }
  bool is_null(int col) override {
    return sqlite3_column_type(st_, col) == SQLITE_NULL;
  }
  std::int64_t get_int(int col) override {
    return sqlite3_column_int64(st_, col);
  }
  std::string get_text(int col) override {
    auto p = sqlite3_column_text(st_, col);
    auto n = sqlite3_column_bytes(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(n))
             : std::string{};
  }

private:
  sqlite3* db_;
  sqlite3_stmt* st_;
};

class sqlite_statement final : public statement {
public:
  sqlite_statement(sqlite3* db, const std::string& text)
    : db_(db) {
    auto rc = sqlite3_prepare_v2(db, text.c_str(),
                                 static_cast<int>(text.size()), &st_, nullptr);
    if (rc != SQLITE_OK)
      fail(db, rc, "prepare '" + text.substr(0, 60) + "'");
  }
  ~sqlite_statement() override {
    sqlite3_finalize(st_);
  }

  std::uint64_t execute(const std::vector<value>& params) override {
    bind(params);
    auto rc = sqlite3_step(st_);
    sqlite3_reset(st_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
      fail(db_, rc, "execute");
    return static_cast<std::uint64_t>(sqlite3_changes(db_));
  }

  std::unique_ptr<rows> query(const std::vector<value>& params) override {
    bind(params);
    return std::make_unique<sqlite_rows>(db_, st_);
  }

private:
  void bind(const std::vector<value>& params) {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    int i = 1;
    for (auto& p : params) {
      int rc;
      if (auto* n = std::get_if<std::int64_t>(&p))
        rc = sqlite3_bind_int64(st_, i, *n);
      else if (auto* s = std::get_if<std::string>(&p))
        rc = sqlite3_bind_text(st_, i, s->data(), static_cast<int>(s->size()),
                               SQLITE_TRANSIENT);
      else
        rc = sqlite3_bind_null(st_, i);
      if (rc != SQLITE_OK)
        fail(db_, rc, "bind");
      ++i;
    }
  }

  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

class sqlite_connection final : public connection {
public:
  explicit sqlite_connection(const std::string& path) {
    if (path != ":memory:") {
      auto dir = std::filesystem::path(path).parent_path();
      std::error_code ec;
      if (!dir.empty())
        std::filesystem::create_directories(dir, ec);
    }
    auto rc = sqlite3_open_v2(path.c_str(), &db_,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                | SQLITE_OPEN_NOMUTEX,
                              nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = "open " + path + ": " + sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw store_error(store_failure::unavailable, msg);
    }
    // Extended codes tell a taken key (conflict) from a value that does
    // not fit (permanent).
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    // WAL with synchronous=FULL: a commit is on disk before it is acked.
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA foreign_keys=ON");
  }

  ~sqlite_connection() override {
    statements_.clear();
    if (db_)
      sqlite3_close(db_);
  }

  sql::dialect dialect() const override {
    return dialect::sqlite;
  }

  statement& prepare(const std::string& text) override {
    auto i = statements_.find(text);
    if (i == statements_.end())
      i = statements_
            .emplace(text, std::make_unique<sqlite_statement>(db_, text))
            .first;
    return *i->second;
  }

  void exec(const std::string& text) override {
    char* err = nullptr;
    auto rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (err)
      sqlite3_free(err);
    if (rc != SQLITE_OK)
      fail(db_, rc, "exec '" + text.substr(0, 60) + "'");
  }

  void begin() override {
    exec("BEGIN IMMEDIATE");
  }

  void commit() override {
    exec("COMMIT");
  }

  std::int64_t last_insert_id() override {
    return sqlite3_last_insert_rowid(db_);
  }

  void rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_))
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<sqlite_statement>>
    statements_;
};

} // namespace

std::unique_ptr<connection> open_sqlite(const std::string& path) {
  return std::make_unique<sqlite_connection>(path);
}

} // namespace h2h::sql
