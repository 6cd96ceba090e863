// The REST API's shared context and the helpers every endpoint uses.
#include "net/rest/api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <spdlog/spdlog.h>

#include "net/protocol/display_name.hpp"
#include "net/protocol/utf8.hpp"

namespace h2h::net {

namespace http = boost::beast::http;
using nlohmann::json;

api_context::api_context(api_settings s)
  : cfg(std::move(s))
  , login_by_email(cfg.login_attempts, cfg.login_window_s * 1000,
                   cfg.rate_limit_keys)
  , login_by_peer(cfg.login_attempts * 4, cfg.login_window_s * 1000,
                  cfg.rate_limit_keys)
  , code_by_email(cfg.code_requests, cfg.code_window_s * 1000,
                  cfg.rate_limit_keys)
  , code_by_peer(cfg.code_requests * 4, cfg.code_window_s * 1000,
                 cfg.rate_limit_keys)
  , confirm_by_peer(cfg.code_requests * cfg.code_max_attempts * 4,
                    cfg.code_window_s * 1000, cfg.rate_limit_keys)
  , rooms_by_member(cfg.rooms_created_per_hour, 3600 * 1000,
                    cfg.rate_limit_keys)
  , reports_by_member(cfg.reports_per_hour, 3600 * 1000, cfg.rate_limit_keys) {
}

http_response error_reply(const reply_shape& to, const api_error& e) {
  return error_response(to, e.code, e.message);
}

std::variant<json, http_response> read_json_body(const http_request& req) {
  auto type = req[http::field::content_type];
  auto semi = type.find(';');
  auto media = type.substr(0, semi);
  while (!media.empty() && media.back() == ' ')
    media.remove_suffix(1);
  std::string lower{media};
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower != "application/json") {
    return error_response(req, errc::wrong_media_type,
                          "Content-Type must be application/json");
  }
  auto body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded())
    return error_response(req, errc::unreadable_json, "body is not valid JSON");
  if (!body.is_object())
    return error_response(req, errc::invalid_field,
                          "body must be a JSON object");
  return body;
}

std::string bearer_token(const http_request& req) {
  auto auth = req[http::field::authorization];
  constexpr std::string_view scheme = "Bearer ";
  if (auth.size() > scheme.size()) {
    std::string head{auth.substr(0, scheme.size())};
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (head == "bearer ")
      return std::string{auth.substr(scheme.size())};
  }
  auto q = query_param(req.target(), "access_token");
  return q.found ? q.value : std::string{};
}

std::variant<caller, api_error>
check_bearer(const http_request& req, const api_context& ctx, bool required) {
  auto token = bearer_token(req);
  if (token.empty()) {
    if (required)
      return api_error{errc::invalid_token, "an access token is required"};
    return caller{};
  }
  auto check = verify_token(token, ctx.cfg.jwt_secret, seconds(ctx.now_ms()));
  switch (check.status) {
    case token_status::expired:
      return api_error{errc::expired_token, "the access token has expired"};
    case token_status::invalid:
      return api_error{errc::invalid_token, "invalid access token"};
    case token_status::valid:
      break;
  }
  return caller{true, check.claims.member_id, check.claims.session_id,
                check.claims.expires_at};
}

http_response store_failed(const reply_shape& to, const store_fault& why) {
  spdlog::warn("request failed on the store: {}", why.detail);
  return error_response(to, errc::unavailable, "store unavailable, retry");
}

http_response busy_reply(const reply_shape& to, const std::string& text) {
  auto res = error_response(to, errc::unavailable, text);
  res.set(http::field::retry_after, "1");
  return res;
}

void run_job(api_context& ctx, const reply_shape& to, http_responder respond,
             std::function<http_response(store&)> fn, job_lane lane) {
  std::function<void(store_result<http_response>)> done
    = [to, respond](store_result<http_response> r) {
        respond(r ? std::move(*r) : store_failed(to, r.error()));
      };
  auto* lane_runner = lane == job_lane::password ? ctx.password_jobs : nullptr;
  if (lane_runner == nullptr) {
    ctx.store_jobs->run(std::move(fn), std::move(done));
    return;
  }
  if (!lane_runner->try_run(std::move(fn), std::move(done)))
    respond(busy_reply(to, "too many password checks waiting, retry"));
}

bool deny_anonymous(const api_context& ctx, const http_request& req,
                    http_responder& respond, bool required) {
  auto who = check_bearer(req, ctx, required);
  if (auto* err = std::get_if<api_error>(&who)) {
    respond(error_reply(shape_of(req), *err));
    return true;
  }
  return false;
}

void run_as(api_context& ctx, const http_request& req, http_responder respond,
            bool required,
            std::function<http_response(store&, const caller&)> fn) {
  auto to = shape_of(req);
  auto who = check_bearer(req, ctx, required);
  if (auto* err = std::get_if<api_error>(&who)) {
    respond(error_reply(to, *err));
    return;
  }
  run_job(
    ctx, to, std::move(respond),
    [to, c = std::get<caller>(who), fn = std::move(fn)](store& db) {
      // A valid signature is not enough: logged out sessions and
      // deleted members are refused.
      if (c.authenticated && !db.session_active(c.session_id, c.member_id))
        return error_response(to, errc::invalid_token, "the session has ended");
      return fn(db, c);
    });
}

std::string normalize_email(std::string_view in) {
  while (!in.empty() && std::isspace(static_cast<unsigned char>(in.front())))
    in.remove_prefix(1);
  while (!in.empty() && std::isspace(static_cast<unsigned char>(in.back())))
    in.remove_suffix(1);
  if (in.size() < 3 || in.size() > 254)
    return {};
  auto at = in.find('@');
  if (at == 0 || at == std::string_view::npos || at != in.rfind('@'))
    return {};
  auto domain = in.substr(at + 1);
  if (domain.empty() || domain.find('.') == std::string_view::npos
      || domain.front() == '.' || domain.back() == '.')
    return {};
  std::string out;
  for (unsigned char c : in) {
    if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == ',' || c == ';'
        || c == '"' || c == '\\')
      return {};
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::variant<std::optional<std::string>, api_error>
string_field(const json& body, const char* key, std::size_t max) {
  auto i = body.find(key);
  if (i == body.end() || i->is_null())
    return std::optional<std::string>{};
  if (!i->is_string())
    return api_error{errc::invalid_field,
                     std::string{key} + " must be a string"};
  auto s = i->get<std::string>();
  if (s.empty() || utf8_length(s) > max)
    return api_error{errc::invalid_field, std::string{key} + " must have 1 to "
                                            + std::to_string(max)
                                            + " characters"};
  return std::optional<std::string>{std::move(s)};
}

std::variant<std::optional<std::string>, api_error>
name_field(const json& body, const char* key, std::size_t max) {
  auto v = string_field(body, key, max);
  if (auto* s = std::get_if<std::optional<std::string>>(&v); s && *s) {
    auto problem = display_name_problem(**s);
    if (!problem.empty())
      return api_error{errc::invalid_field, std::string{key} + " " + problem};
  }
  return v;
}

std::optional<std::int64_t> member_id_of(const json& v) {
  std::int64_t id = 0;
  if (v.is_number_unsigned() || v.is_number_integer()) {
    id = v.get<std::int64_t>();
  } else if (v.is_string()) {
    auto s = v.get<std::string>();
    auto r = std::from_chars(s.data(), s.data() + s.size(), id);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size())
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (id <= 0)
    return std::nullopt;
  return id;
}

void add_api_routes(router& r, std::shared_ptr<api_context> ctx) {
  add_auth_routes(r, ctx);
  add_member_routes(r, ctx);
  add_room_routes(r, ctx);
  add_history_routes(r, ctx);
  add_avatar_routes(r, ctx);
  add_report_routes(r, ctx);
  add_delete_routes(r, ctx);
  add_block_routes(r, ctx);
}

} // namespace h2h::net
