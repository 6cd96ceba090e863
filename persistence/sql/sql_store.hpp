// The store over an SQL connection (SQLite or MySQL).
#pragma once

#include <memory>
#include <string>

#include "persistence/sql/sql.hpp"
#include "persistence/store.hpp"

namespace h2h {

/// A store on one connection.
std::unique_ptr<store> make_sql_store(std::unique_ptr<sql::connection> conn);

/// The factory for `store.kind` = sqlite or mysql; throws store_error for a
/// bad URL.
store_factory make_store_factory(const std::string& kind,
                                 const std::string& sqlite_path,
                                 const std::string& mysql_url);

} // namespace h2h
