// Versioned schema migrations, applied at start-up and recorded in
// schema_migrations.
#pragma once

#include "persistence/sql/sql.hpp"

namespace h2h::sql {

/// Applies every migration the database lacks; returns how many ran.
int migrate(connection& conn);

/// Applies the missing migrations up to version `target` (tests build old
/// schemas with it); returns how many ran.
int migrate(connection& conn, int target);

/// The newest schema version this build knows.
int schema_version();

} // namespace h2h::sql
