// /auth/*: verification codes, join, login, token checks, reissue, logout
// (DESIGN.md §3.1, compatible with the original Heart to Heart app).
#include <spdlog/spdlog.h>

#include "net/rest/api.hpp"
#include "net/server/client_address.hpp"
#include "net/security/crypto.hpp"

namespace h2h::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

std::string code_hash(const std::string& email, const std::string& code) {
  return crypto::sha256_hex(email + ":" + code);
}

/// A new access token and refresh token for a session.
json issue_tokens(api_context& ctx, store& db, const member_record& m,
                  const std::string& session_id) {
  auto now = ctx.now_ms();
  token_claims c;
  c.member_id = m.id;
  c.session_id = session_id;
  c.issued_at = seconds(now);
  c.expires_at = c.issued_at + ctx.cfg.access_ttl_s;
  auto refresh = crypto::random_token(32);
  refresh_record r;
  r.token_hash = crypto::sha256_hex(refresh);
  r.member_id = m.id;
  r.session_id = session_id;
  r.expires_ms = now + ctx.cfg.refresh_ttl_s * 1000;
  db.put_refresh(r);
  return {{"member_id", m.id},
          {"access_token", sign_token(c, ctx.cfg.jwt_secret)},
          {"refresh_token", refresh},
          {"name", m.name},
          {"nickname", m.nickname}};
}

/// Reads an email field; an error response when it is missing or invalid.
std::variant<std::string, http_response> email_field(const http_request& req,
                                                     const json& body) {
  auto i = body.find("email");
  if (i == body.end() || !i->is_string())
    return error_response(req, errc::invalid_field, "email is required");
  auto email = normalize_email(i->get<std::string>());
  if (email.empty())
    return error_response(req, errc::invalid_field, "email is not valid");
  return email;
}

/// What the store part of a code request decided: an answer now, or a
/// code to mail.
struct code_outcome {
  std::optional<http_response> answer;
  std::string code;
};

/// Mails `code` (on the mail lane when there is a ticket) and answers.
void mail_code(api_context& ctx, const reply_shape& to, const std::string& addr,
               const std::string& code, const http_responder& respond,
               mail_ticket* ticket) {
  auto send = [&ctx, to, addr, code, respond] {
    try {
      ctx.mail->send(addr, "Your Heart to Heart verification code",
                     "Your verification code is " + code + ". It is valid for "
                       + std::to_string(ctx.cfg.code_ttl_s / 60) + " minutes.");
    } catch (const std::exception& e) {
      spdlog::error("verification mail to {} failed: {}", addr, e.what());
      return respond(error_response(to, errc::unavailable,
                                    "the code could not be mailed, retry"));
    }
    respond(json_response(to, 202, R"({"message":"verification code sent"})"));
  };
  if (!ticket)
    return send();
  ticket->submit({send, [to, respond] {
                    respond(
                      error_response(to, errc::unavailable,
                                     "the code could not be mailed, retry"));
                  }});
}

void send_code(api_context& ctx, http_request& req, const request_meta& meta,
               http_responder respond) {
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto email = email_field(req, std::get<json>(parsed));
  if (auto* res = std::get_if<http_response>(&email))
    return respond(std::move(*res));
  auto addr = std::get<std::string>(email);
  auto now = ctx.now_ms();
  if (!ctx.code_by_peer.allow(limit_key(meta.peer), now)
      || !ctx.code_by_email.allow(addr, now))
    return respond(error_response(req, errc::rate_limited,
                                  "too many codes requested, try later"));
  auto to = shape_of(req);
  // The mail's place is taken first: a full mail lane answers at once and
  // leaves the code stored before (and mailed) valid.
  std::shared_ptr<mail_ticket> ticket;
  if (ctx.reserve_mail) {
    ticket = std::make_shared<mail_ticket>(ctx.reserve_mail());
    if (!*ticket)
      return respond(busy_reply(to, "too many mails waiting, retry"));
  }
  std::function<code_outcome(store&)> work = [&ctx, to, addr](store& db) {
    code_outcome out;
    if (db.member_by_email(addr)) {
      out.answer = error_response(to, errc::member_exists,
                                  "a member with this email exists");
      return out;
    }
    out.code = crypto::random_digits(6);
    code_record c;
    c.email = addr;
    c.code_hash = code_hash(addr, out.code);
    c.expires_ms = ctx.now_ms() + ctx.cfg.code_ttl_s * 1000;
    db.put_code(c);
    return out;
  };
  std::function<void(store_result<code_outcome>)> done
    = [&ctx, to, addr, respond, ticket](store_result<code_outcome> r) {
        if (!r)
          return respond(store_failed(to, r.error()));
        if (r->answer)
          return respond(std::move(*r->answer));
        mail_code(ctx, to, addr, r->code, respond, ticket.get());
      };
  ctx.store_jobs->run(std::move(work), std::move(done));
}

void confirm_code(api_context& ctx, http_request& req, const request_meta& meta,
                  http_responder respond) {
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto& body = std::get<json>(parsed);
  auto email = email_field(req, body);
  if (auto* res = std::get_if<http_response>(&email))
    return respond(std::move(*res));
  auto addr = std::get<std::string>(email);
  auto i = body.find("verification_code");
  if (i == body.end() || !(i->is_string() || i->is_number_unsigned()))
    return respond(error_response(req, errc::invalid_field,
                                  "verification_code is required"));
  auto code = i->is_string() ? i->get<std::string>()
                             : std::to_string(i->get<std::uint64_t>());
  // A client that sent the code as a number lost its leading zeros.
  if (!i->is_string() && code.size() < 6)
    code.insert(0, 6 - code.size(), '0');
  if (!ctx.confirm_by_peer.allow(limit_key(meta.peer), ctx.now_ms()))
    return respond(
      error_response(req, errc::rate_limited, "too many attempts, try later"));
  auto to = shape_of(req);
  run_job(ctx, to, std::move(respond), [&ctx, to, addr, code](store& db) {
    auto c = db.code_for(addr);
    if (!c)
      return error_response(to, errc::wrong_code, "wrong verification code");
    // The guess is counted in the database before it is compared, so
    // parallel guesses cannot see the same count and pass the limit.
    if (ctx.now_ms() >= c->expires_ms
        || !db.count_code_attempt(addr, c->code_hash,
                                  ctx.cfg.code_max_attempts))
      return error_response(to, errc::expired_code,
                            "the verification code has expired");
    if (!crypto::equal_constant_time(code_hash(addr, code), c->code_hash))
      return error_response(to, errc::wrong_code, "wrong verification code");
    db.confirm_code(addr, c->code_hash, ctx.now_ms());
    return json_response(to, 200, R"({"message":"verified"})");
  });
}

void join(api_context& ctx, http_request& req, const request_meta&,
          http_responder respond) {
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto& body = std::get<json>(parsed);
  auto email = email_field(req, body);
  if (auto* res = std::get_if<http_response>(&email))
    return respond(std::move(*res));
  member_record m;
  m.email = std::get<std::string>(email);
  for (auto [key, out] :
       {std::pair{"name", &m.name}, std::pair{"nickname", &m.nickname}}) {
    auto v = name_field(body, key, 50);
    if (auto* err = std::get_if<api_error>(&v))
      return respond(error_reply(shape_of(req), *err));
    auto& s = std::get<std::optional<std::string>>(v);
    if (!s)
      return respond(error_response(req, errc::invalid_field,
                                    std::string{key} + " is required"));
    *out = *s;
  }
  auto pw = body.find("password");
  if (pw == body.end() || !pw->is_string()
      || !acceptable_password(pw->get<std::string>()))
    return respond(error_response(
      req, errc::invalid_field,
      "password needs 8 or more characters with upper and lower case "
      "letters, a digit and a symbol"));
  auto to = shape_of(req);
  run_job(
    ctx, to, std::move(respond),
    [&ctx, to, m, password = pw->get<std::string>()](store& db) mutable {
      auto now = ctx.now_ms();
      if (ctx.cfg.require_verification) {
        auto c = db.code_for(m.email);
        if (!c || c->confirmed_ms == 0
            || now - c->confirmed_ms > ctx.cfg.verified_join_window_s * 1000)
          return error_response(to, errc::wrong_code,
                                "the email is not verified");
      }
      if (db.member_by_email(m.email))
        return error_response(to, errc::member_exists,
                              "a member with this email exists");
      m.password_hash = hash_password(password, ctx.cfg.cost);
      m.created_ms = now;
      auto id = db.create_member(m);
      if (!id)
        return error_response(to, errc::member_exists,
                              "a member with this email exists");
      spdlog::info("member {} joined", *id);
      return json_response(to, 201, json{{"member_id", *id}}.dump());
    },
    job_lane::password);
}

void login(api_context& ctx, http_request& req, const request_meta& meta,
           http_responder respond) {
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto& body = std::get<json>(parsed);
  auto email = email_field(req, body);
  if (auto* res = std::get_if<http_response>(&email))
    return respond(std::move(*res));
  auto addr = std::get<std::string>(email);
  auto pw = body.find("password");
  if (pw == body.end() || !pw->is_string())
    return respond(
      error_response(req, errc::invalid_field, "password is required"));
  auto now = ctx.now_ms();
  if (!ctx.login_by_peer.allow(limit_key(meta.peer), now)
      || !ctx.login_by_email.allow(addr, now))
    return respond(error_response(req, errc::rate_limited,
                                  "too many login attempts, try later"));
  auto to = shape_of(req);
  run_job(
    ctx, to, std::move(respond),
    [&ctx, to, addr, password = pw->get<std::string>()](store& db) {
      auto m = db.member_by_email(addr);
      if (!m)
        return error_response(to, errc::no_such_member,
                              "no member with this email");
      if (!verify_password(password, m->password_hash))
        return error_response(to, errc::wrong_password, "wrong password");
      ctx.login_by_email.reset(addr);
      session_record s;
      s.id = crypto::random_token(18);
      s.member_id = m->id;
      s.created_ms = ctx.now_ms();
      db.create_session(s);
      return json_response(to, 200, issue_tokens(ctx, db, *m, s.id).dump());
    },
    job_lane::password);
}

void reissue(api_context& ctx, http_request& req, const request_meta&,
             http_responder respond) {
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto& body = std::get<json>(parsed);
  auto mid = body.find("member_id");
  auto member_id = mid == body.end() ? std::nullopt : member_id_of(*mid);
  if (!member_id)
    return respond(
      error_response(req, errc::invalid_member_id, "invalid member_id"));
  auto rt = body.find("refresh_token");
  if (rt == body.end() || !rt->is_string() || rt->get<std::string>().empty())
    return respond(
      error_response(req, errc::invalid_refresh, "invalid refresh token"));
  auto to = shape_of(req);
  run_job(ctx, to, std::move(respond),
          [&ctx, to, id = *member_id,
           hash = crypto::sha256_hex(rt->get<std::string>())](store& db) {
            // The Android app rotates after every failed call: two calls
            // that fail at once rotate with the same token. A token used
            // this recently is such a twin, not a stolen copy.
            auto twin = [&ctx](const refresh_record& x) {
              auto grace = ctx.cfg.refresh_reuse_grace_ms;
              return grace > 0 && x.used_ms > 0
                     && ctx.now_ms() - x.used_ms <= grace;
            };
            auto r = db.refresh_by_hash(hash);
            if (!r || r->member_id != id)
              return error_response(to, errc::invalid_refresh,
                                    "invalid refresh token");
            if (!db.session_active(r->session_id, id))
              return error_response(to, errc::invalid_refresh,
                                    "the session has ended");
            if (r->used && !twin(*r)) {
              // A used token shows up again: someone copied it. End the
              // whole session so that the copy is worthless too.
              spdlog::warn("refresh token reused for member {}; session "
                           "revoked",
                           id);
              db.revoke_session(r->session_id);
              if (ctx.end_session)
                ctx.end_session(r->session_id);
              return error_response(to, errc::invalid_refresh,
                                    "refresh token already used");
            }
            if (ctx.now_ms() >= r->expires_ms)
              return error_response(to, errc::expired_refresh,
                                    "the refresh token has expired");
            auto m = db.member_by_id(id);
            if (!m || !db.session_active(r->session_id, id))
              return error_response(to, errc::invalid_refresh,
                                    "invalid refresh token");
            if (!r->used && !db.use_refresh(hash, ctx.now_ms())) {
              // A parallel reissue with the same token won the race.
              auto again = db.refresh_by_hash(hash);
              if (!again || !twin(*again))
                return error_response(to, errc::invalid_refresh,
                                      "invalid refresh token");
            }
            auto out = issue_tokens(ctx, db, *m, r->session_id);
            out["email"] = m->email;
            return json_response(to, 200, out.dump());
          });
}

} // namespace

void add_auth_routes(router& r, std::shared_ptr<api_context> ctx) {
  using namespace std::placeholders;
  auto bind = [ctx](auto fn) {
    return [ctx, fn](http_request& req, const path_params&,
                     const request_meta& meta, http_responder respond) {
      fn(*ctx, req, meta, std::move(respond));
    };
  };
  r.add(http::verb::post, "/auth/emailVerificationCode", bind(send_code));
  r.add(http::verb::post, "/auth/confirmVerificationCode", bind(confirm_code));
  r.add(http::verb::post, "/auth/join", bind(join));
  r.add(http::verb::post, "/auth/login", bind(login));
  r.add(http::verb::post, "/auth/reissueToken", bind(reissue));
  r.add(http::verb::get, "/auth/verifyAccessToken",
        [ctx](http_request& req, const path_params&, const request_meta&,
              http_responder respond) {
          run_as(*ctx, req, std::move(respond), true,
                 [to = shape_of(req)](store&, const caller&) {
                   return json_response(to, 200, R"({"message":"verified"})");
                 });
        });
  r.add(http::verb::post, "/auth/logout",
        [ctx](http_request& req, const path_params&, const request_meta&,
              http_responder respond) {
          run_as(*ctx, req, std::move(respond), true,
                 [ctx, to = shape_of(req)](store& db, const caller& c) {
                   db.revoke_session(c.session_id);
                   // Its open WebSockets end now, not when the token dies.
                   if (ctx->end_session)
                     ctx->end_session(c.session_id);
                   return json_response(to, 200, R"({"message":"logged out"})");
                 });
        });
}

} // namespace h2h::net
