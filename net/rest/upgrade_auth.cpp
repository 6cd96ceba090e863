// Checks the token of a WebSocket upgrade: its signature at once, its login
// session in the store or, for auth.session_cache_ms after such a check, in
// a bounded cache (no database round trip per connection).
#include "net/rest/upgrade_auth.hpp"

#include <algorithm>
#include <chrono>

namespace h2h::net {

namespace {

/// For ages in the cache: never jumps with the wall clock.
std::int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch())
    .count();
}

/// The answer to an upgrade with a valid token of session `c`, at `now_ms`
/// (the API's clock, milliseconds since the epoch).
ws_auth answer(const caller& c, const session_facts& facts,
               std::int64_t expires_at, std::int64_t now_ms) {
  if (!facts.active || facts.member_id != c.member_id)
    return ws_auth::refused(errc::invalid_token, "the session has ended");
  ws_auth ok;
  ok.identity.authenticated = true;
  ok.identity.member_id = facts.member_id;
  ok.identity.name = facts.nickname;
  ok.identity.blocked = facts.blocked;
  ok.session_id = c.session_id;
  ok.expires_in = std::chrono::milliseconds{
    std::max<std::int64_t>(1, expires_at * 1000 - now_ms)};
  return ok;
}

} // namespace

upgrade_auth::upgrade_auth(std::shared_ptr<api_context> api, store_runner& pool,
                           std::size_t cache_max, std::int64_t cache_ms)
  : api_(std::move(api))
  , pool_(pool)
  , cache_(cache_max, cache_ms) {
}

void upgrade_auth::check(const http_request& req,
                         std::function<void(ws_auth)> done) {
  auto who = check_bearer(req, *api_, api_->cfg.auth_required);
  if (auto* err = std::get_if<api_error>(&who)) {
    done(ws_auth::refused(err->code, err->message));
    return;
  }
  auto c = std::get<caller>(who);
  if (!c.authenticated) {
    done(ws_auth{}); // auth.required = false and no token
    return;
  }
  // The signature was checked once, above; its expiry comes with it.
  auto expires_at = c.expires_at;
  if (auto known = cache_.find(c.session_id, steady_ms())) {
    done(answer(c, *known, expires_at, api_->now_ms()));
    return;
  }
  // Logged out sessions and deleted members fail here.
  auto generation = cache_.generation();
  std::function<session_facts(store&)> work = [c](store& db) {
    auto m = db.session_active(c.session_id, c.member_id)
               ? db.member_by_id(c.member_id)
               : std::nullopt;
    session_facts facts;
    facts.member_id = c.member_id;
    facts.active = m.has_value();
    if (m) {
      facts.nickname = m->nickname;
      // In the same store job: sessions filter their member's blocks from
      // the start (the admin actor tells them of later changes).
      facts.blocked = make_block_list(db.blocked_by(c.member_id));
    }
    return facts;
  };
  std::function<void(store_result<session_facts>)> answered
    = [this, c, done, expires_at, generation](store_result<session_facts> r) {
        if (!r) {
          done(ws_auth::refused(errc::unavailable, "store unavailable, retry"));
          return;
        }
        cache_.put(c.session_id, *r, steady_ms(), generation);
        done(answer(c, *r, expires_at, api_->now_ms()));
      };
  pool_.run(std::move(work), std::move(answered));
}

void upgrade_auth::session_ended(const std::string& session_id) {
  cache_.end(session_id, steady_ms());
}

void upgrade_auth::blocks_changed(std::int64_t member_id) {
  cache_.forget_member(member_id);
}

} // namespace h2h::net
