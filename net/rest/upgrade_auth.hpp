// Checks the token of a WebSocket upgrade: its signature at once, its login
// session in the store or, for auth.session_cache_ms after such a check, in
// a bounded cache (no database round trip per connection).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/store/store_runner.hpp"
#include "net/rest/api.hpp"
#include "net/security/authenticator.hpp"
#include "net/security/session_cache.hpp"

namespace h2h::net {

class upgrade_auth {
public:
  /// Session checks run on `pool` (which must outlive their jobs); their
  /// answers are kept `cache_ms` for at most `cache_max` sessions.
  upgrade_auth(std::shared_ptr<api_context> api, store_runner& pool,
               std::size_t cache_max, std::int64_t cache_ms);

  /// Checks the token of an upgrade request and calls back, at once or
  /// from a store thread.
  void check(const http_request& req, std::function<void(ws_auth)> done);

  /// The session ended on this node (logout, a reused refresh token):
  /// upgrades with its tokens are refused from now on. Thread-safe.
  void session_ended(const std::string& session_id);

  /// The member's blocks changed: upgrades read them from the store again
  /// (the live sessions are told by the admin actor). Thread-safe.
  void blocks_changed(std::int64_t member_id);

private:
  std::shared_ptr<api_context> api_;
  store_runner& pool_;
  session_cache cache_;
};

} // namespace h2h::net
