// The REST API's shared context and the helpers every endpoint uses: JSON
// bodies, bearer tokens, running store work off the I/O threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/vocabulary/errors.hpp"
#include "actors/store/store_runner.hpp"
#include "actors/vocabulary/type_ids.hpp"
#include "net/http/http_types.hpp"
#include "net/security/jwt.hpp"
#include "net/outbound/mail_worker.hpp"
#include "net/outbound/mailer.hpp"
#include "net/security/password.hpp"
#include "net/security/rate_limit.hpp"
#include "net/http/router.hpp"

namespace h2h::net {

struct api_settings {
  bool auth_required = true;
  std::string jwt_secret;
  std::int64_t access_ttl_s = 86400;
  std::int64_t refresh_ttl_s = 604800;
  std::int64_t code_ttl_s = 300;
  int code_max_attempts = 5;
  bool require_verification = true;
  /// How long a confirmed code allows joining.
  std::int64_t verified_join_window_s = 1800;
  password_cost cost;
  int login_attempts = 10;
  std::int64_t login_window_s = 300;
  int code_requests = 5;
  std::int64_t code_window_s = 3600;
  /// Keys each limiter remembers (its table's bound).
  std::size_t rate_limit_keys = 65536;
  /// Rooms one member may create with POST /chat/room per hour (ENTER
  /// creations have a bucket of the same size in the room directory).
  int rooms_created_per_hour = 60;
  /// Largest avatar image (limits.avatar_bytes).
  std::size_t avatar_bytes = 2 * 1024 * 1024;
  /// Members one member may block (limits.blocks_per_member).
  std::size_t blocks_per_member = 1000;
  /// Scheme and authority that absolute URLs start with (server.public_url);
  /// empty: the request's Host (or a trusted proxy's forwarded host).
  std::string public_url;
  /// A trusted proxy names the host in RFC 7239 Forwarded (host=, proto=)
  /// rather than X-Forwarded-Host/-Proto (server.forwarded_header).
  bool proxy_uses_forwarded = false;
  /// POST /member/report per reporter per hour (limits.reports_per_hour).
  int reports_per_hour = 20;
  /// Reports older than this are purged (limits.report_retention_days).
  int report_retention_days = 180;
  /// A used refresh token presented again within this many ms of its use
  /// gets a new pair instead of ending the session
  /// (auth.refresh_reuse_grace_ms; 0: never).
  std::int64_t refresh_reuse_grace_ms = 10000;
};

/// Where a REST job runs: password hashing has a pool of its own (and mail
/// a worker of its own), so that a login flood or a slow mail server cannot
/// stall the store work of upgrades and other REST calls.
enum class job_lane { store, password };

/// Everything the endpoints share. Thread-safe.
struct api_context {
  explicit api_context(api_settings s);

  api_settings cfg;
  /// Milliseconds since the epoch (tests set their own clock).
  std::function<std::int64_t()> now_ms;
  /// Runs blocking store work: the store pool (inline in tests). Not
  /// owned; outlives every job.
  store_runner* store_jobs = nullptr;
  /// The password lane (bounded, see job_lane); null: on `store_jobs`.
  store_runner* password_jobs = nullptr;
  /// Reserves a place for one mail on the mail worker (an empty ticket
  /// when it is full); empty: mail goes out on the store job's thread.
  std::function<mail_ticket()> reserve_mail;
  /// Called when a login session ended (logout, a reused refresh token):
  /// closes its WebSockets on this node at once. May be empty.
  std::function<void(const std::string& session_id)> end_session;
  std::shared_ptr<mailer> mail;
  /// Tells running rooms what changed (may be empty).
  std::function<void(const room_change&)> notify_rooms;
  /// Tells the live sessions of `member` on every node whom it blocks now
  /// (ascending ids); `done` runs once when every node answered or its
  /// wait ran out. Thread-safe. May be empty (nothing to tell).
  std::function<void(std::int64_t member, std::vector<std::int64_t> blocked,
                     std::function<void()> done)>
    blocks_changed;
  window_limiter login_by_email;
  window_limiter login_by_peer;
  window_limiter code_by_email;
  window_limiter code_by_peer;
  /// Code confirmations per address (guessing is limited per code too).
  window_limiter confirm_by_peer;
  /// POST /chat/room per member.
  window_limiter rooms_by_member;
  /// POST /member/report per reporter.
  window_limiter reports_by_member;
  /// Called when a member deleted their account: ends every connection of
  /// the member on every node (the admin actor's cluster-wide kick). May
  /// be empty.
  std::function<void(std::int64_t member_id)> end_member;
};

/// Who is calling, after the token was checked.
struct caller {
  bool authenticated = false;
  std::int64_t member_id = 0;
  std::string session_id;
  /// The token's expiry (seconds since the epoch; 0 without a token).
  std::int64_t expires_at = 0;
};

/// An error answer for the client.
struct api_error {
  errc code;
  std::string message;
};

/// Reads the JSON object body (Content-Type application/json required).
std::variant<nlohmann::json, http_response>
read_json_body(const http_request& req);

/// Reads `Authorization: Bearer <token>` or `?access_token=`; checks the
/// token (signature, HS256, expiry). No token is an error when `required`.
std::variant<caller, api_error>
check_bearer(const http_request& req, const api_context& ctx, bool required);

/// The token of a request (header or query), empty when there is none.
std::string bearer_token(const http_request& req);

/// Answers from a store pool: runs `fn` there (on the pool of `lane`) and
/// sends what it returns; a store failure answers store_failed, a full
/// password lane busy_reply.
void run_job(api_context& ctx, const reply_shape& to, http_responder respond,
             std::function<http_response(store&)> fn,
             job_lane lane = job_lane::store);

/// The answer to a store fault: 503 CHAT_006 "store unavailable, retry"
/// whatever the kind (clients learn nothing of the store's internals); the
/// detail goes to the log.
http_response store_failed(const reply_shape& to, const store_fault& why);

/// 503 CHAT_006 with `text` and Retry-After: 1, for a full lane: a quick,
/// clear answer instead of a growing queue.
http_response busy_reply(const reply_shape& to, const std::string& text);

/// Answers the token error (and returns true) when the request has no valid
/// token; lets protected endpoints refuse strangers before reading input.
bool deny_anonymous(const api_context& ctx, const http_request& req,
                    http_responder& respond, bool required);

/// Like run_job for a caller whose token passed check_bearer: the session
/// must still be active (not logged out, member not deleted).
void run_as(api_context& ctx, const http_request& req, http_responder respond,
            bool required,
            std::function<http_response(store&, const caller&)> fn);

/// Lower-cased, trimmed; empty when it is not an email address.
std::string normalize_email(std::string_view in);

/// A string field: nullopt when absent; an error when present but not a
/// string of 1..max characters.
std::variant<std::optional<std::string>, api_error>
string_field(const nlohmann::json& body, const char* key, std::size_t max);

/// Like string_field for a member's name or nickname, which also must not
/// contain control, bidi override or line separator characters
/// (display_name.hpp).
std::variant<std::optional<std::string>, api_error>
name_field(const nlohmann::json& body, const char* key, std::size_t max);

/// A member id given as a number or a string of digits.
std::optional<std::int64_t> member_id_of(const nlohmann::json& v);

/// Seconds since the epoch.
inline std::int64_t seconds(std::int64_t ms) {
  return ms / 1000;
}

/// The JSON text of an error body, for an already-built reply.
http_response error_reply(const reply_shape& to, const api_error& e);

/// Registers every REST endpoint of §3.1 and §3.2.
void add_api_routes(router& r, std::shared_ptr<api_context> ctx);

// Per area (each file adds its own routes).
void add_auth_routes(router& r, std::shared_ptr<api_context> ctx);
void add_member_routes(router& r, std::shared_ptr<api_context> ctx);
void add_room_routes(router& r, std::shared_ptr<api_context> ctx);
void add_history_routes(router& r, std::shared_ptr<api_context> ctx);
void add_avatar_routes(router& r, std::shared_ptr<api_context> ctx);
void add_report_routes(router& r, std::shared_ptr<api_context> ctx);
void add_delete_routes(router& r, std::shared_ptr<api_context> ctx);
void add_block_routes(router& r, std::shared_ptr<api_context> ctx);

/// The scheme and authority absolute URLs of a request start with (no
/// trailing slash): server.public_url, else the forwarded host and scheme of
/// a trusted proxy, else http:// and the Host header; empty when the
/// request names no valid host.
std::string public_base(const api_settings& cfg, const http_request& req,
                        const request_meta& meta);

/// The absolute URL of a member's avatar (public_base + its media path).
std::string avatar_url(const std::string& base, std::int64_t member_id,
                       const avatar_record& a);

} // namespace h2h::net
