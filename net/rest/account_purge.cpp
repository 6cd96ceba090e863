// Housekeeping of the account tables: what counts as expired, and one purge
// run of expired sessions, refresh tokens, verification codes and old
// reports.
#include "net/rest/account_purge.hpp"

#include <spdlog/spdlog.h>

namespace h2h::net {

purge_cutoffs purge_cutoffs_at(std::int64_t now_ms, const api_settings& cfg,
                               std::size_t batch) {
  purge_cutoffs c;
  // An access token lives access_ttl from its issue, and every issue also
  // stores a refresh token that expires later than it was issued: once all
  // refresh tokens of a session expired access_ttl ago, no token of it is
  // alive, whatever the two lifetimes are.
  c.tokens_ms = now_ms - cfg.access_ttl_s * 1000;
  // A code is confirmed before it expires and allows joining for
  // verified_join_window_s after that.
  c.codes_ms = now_ms - cfg.verified_join_window_s * 1000;
  c.batch = batch;
  c.reports_ms
    = now_ms - std::int64_t{cfg.report_retention_days} * 86400 * 1000;
  return c;
}

bool purge_accounts(store& db, const purge_cutoffs& c) {
  auto n = db.purge_expired(c);
  if (n.sessions + n.refresh_tokens + n.codes + n.reports > 0)
    spdlog::info("purged {} expired session(s), {} refresh token(s), {} "
                 "verification code(s), {} old report(s){}",
                 n.sessions, n.refresh_tokens, n.codes, n.reports,
                 n.more ? "; more left for the next run" : "");
  else
    spdlog::debug("purge: nothing expired");
  return n.more;
}

} // namespace h2h::net
