// Housekeeping of the account tables: what counts as expired, and one purge
// run of expired sessions, refresh tokens and verification codes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/rest/api.hpp"
#include "persistence/store.hpp"

namespace h2h::net {

/// The cut-offs at `now_ms` for the lifetimes of `cfg`: nothing a client
/// could still use goes (a session lives while any access or refresh token
/// of it may; a confirmed code while it may still allow joining).
purge_cutoffs purge_cutoffs_at(std::int64_t now_ms, const api_settings& cfg,
                               std::size_t batch);

/// One purge run on `db` (at most `c.batch` rows of each kind), logged.
/// Returns true when a batch was full: more is left for the next run.
/// Throws store_error.
bool purge_accounts(store& db, const purge_cutoffs& c);

} // namespace h2h::net
