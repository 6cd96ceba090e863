// The store contract's fixture: a fresh SQLite file or MariaDB database
// (H2H_TEST_MYSQL_URL) per test, shared by the contract's test files.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "persistence/sql/sql.hpp"
#include "persistence/sql/sql_store.hpp"

namespace h2h {

/// Opens stores of one kind on a fresh database.
class store_contract : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    auto n = std::to_string(getpid()) + "_" + std::to_string(++counter);
    if (GetParam() == "sqlite") {
      dir_ = "/tmp/h2h-contract-" + n;
      std::filesystem::create_directories(dir_);
      auto path = dir_ + "/h2h.db";
      connect_ = [path] { return sql::open_sqlite(path); };
    } else {
      auto* url = std::getenv("H2H_TEST_MYSQL_URL");
      if (url == nullptr)
        GTEST_SKIP() << "H2H_TEST_MYSQL_URL is not set (scripts/test-all.sh "
                        "starts MariaDB and sets it)";
      sql::mysql_target base;
      std::string problem;
      ASSERT_TRUE(sql::parse_mysql_url(url, base, problem)) << problem;
      db_name_ = "h2h_contract_" + n;
      admin_ = sql::open_mysql(base);
      admin_->exec("CREATE DATABASE " + db_name_
                   + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
      auto target = base;
      target.database = db_name_;
      connect_ = [target] { return sql::open_mysql(target); };
    }
    open_ = [connect = connect_] { return make_sql_store(connect()); };
    db_ = open_();
    if (migrate_at_setup())
      db_->migrate();
  }

  /// False for the migration tests, which build an old schema first.
  virtual bool migrate_at_setup() const {
    return true;
  }

  void TearDown() override {
    db_.reset();
    if (admin_ && !db_name_.empty())
      admin_->exec("DROP DATABASE IF EXISTS " + db_name_);
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::function<std::unique_ptr<sql::connection>()> connect_;
  std::function<std::unique_ptr<store>()> open_;
  std::unique_ptr<store> db_;
  std::unique_ptr<sql::connection> admin_;
  std::string db_name_;
  std::string dir_;
};

} // namespace h2h
