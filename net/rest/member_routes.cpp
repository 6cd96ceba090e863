// /member/*: profiles (with the avatar's URL) and FCM device tokens
// (DESIGN.md §3.1); avatar uploads are in avatar_routes.cpp.
#include "net/rest/api.hpp"

namespace h2h::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

// The avatar uploaded last, else what the member row holds (empty).
std::string profile_json(store& db, const member_record& m,
                         const std::string& base) {
  auto url = m.avatar_url;
  if (auto a = db.current_avatar(m.id))
    url = avatar_url(base, m.id, *a);
  return json{{"member_id", m.id},
              {"email", m.email},
              {"name", m.name},
              {"nickname", m.nickname},
              {"avatar_url", url}}
    .dump();
}

void get_profile(api_context& ctx, http_request& req, const request_meta& meta,
                 http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  std::optional<std::int64_t> wanted;
  auto q = query_param(req.target(), "member_id");
  if (q.found) {
    wanted = member_id_of(json(q.value));
    if (!wanted)
      return respond(
        error_response(req, errc::invalid_member_id, "invalid member_id"));
  }
  run_as(ctx, req, std::move(respond), true,
         [to = shape_of(req), wanted,
          base = public_base(ctx.cfg, req, meta)](store& db, const caller& c) {
           auto m = db.member_by_id(wanted.value_or(c.member_id));
           if (!m)
             return error_response(to, errc::no_such_member, "no such member");
           return json_response(to, 200, profile_json(db, *m, base));
         });
}

void patch_profile(api_context& ctx, http_request& req,
                   const request_meta& meta, http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto& body = std::get<json>(parsed);
  std::optional<std::string> fields[2];
  const char* keys[2] = {"name", "nickname"};
  for (int k = 0; k < 2; ++k) {
    auto v = name_field(body, keys[k], 50);
    if (auto* err = std::get_if<api_error>(&v))
      return respond(error_reply(shape_of(req), *err));
    fields[k] = std::get<std::optional<std::string>>(v);
  }
  if (!fields[0] && !fields[1])
    return respond(
      error_response(req, errc::invalid_field, "name or nickname is required"));
  std::optional<std::int64_t> named;
  if (auto i = body.find("member_id"); i != body.end() && !i->is_null()) {
    named = member_id_of(*i);
    if (!named)
      return respond(
        error_response(req, errc::invalid_member_id, "invalid member_id"));
  }
  run_as(ctx, req, std::move(respond), true,
         [to = shape_of(req), name = fields[0], nick = fields[1], named,
          base = public_base(ctx.cfg, req, meta)](store& db, const caller& c) {
           if (named && *named != c.member_id)
             return error_response(to, errc::forbidden,
                                   "only your own profile can change");
           if (!db.update_member(c.member_id, name, nick))
             return error_response(to, errc::no_such_member, "no such member");
           return json_response(
             to, 200, profile_json(db, *db.member_by_id(c.member_id), base));
         });
}

void add_device(api_context& ctx, http_request& req, http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto& body = std::get<json>(parsed);
  auto token = string_field(body, "token", 512);
  if (auto* err = std::get_if<api_error>(&token))
    return respond(error_reply(shape_of(req), *err));
  auto tok = std::get<std::optional<std::string>>(token);
  if (!tok)
    return respond(
      error_response(req, errc::invalid_field, "token is required"));
  std::string platform = "android";
  if (auto p = body.find("platform"); p != body.end() && !p->is_null()) {
    if (!p->is_string() || (*p != "android" && *p != "ios" && *p != "web"))
      return respond(error_response(req, errc::invalid_field,
                                    "platform must be android, ios or web"));
    platform = p->get<std::string>();
  }
  run_as(ctx, req, std::move(respond), true,
         [to = shape_of(req), tok, platform](store& db, const caller& c) {
           db.put_device({*tok, c.member_id, platform});
           return json_response(to, 201, R"({"message":"registered"})");
         });
}

void remove_device(api_context& ctx, http_request& req,
                   const path_params& params, http_responder respond) {
  run_as(ctx, req, std::move(respond), true,
         [to = shape_of(req), token = params.at("token")](store& db,
                                                          const caller& c) {
           if (!db.delete_device(c.member_id, token))
             return error_response(to, errc::unknown_path, "no such device");
           return empty_response(to, 204);
         });
}

} // namespace

void add_member_routes(router& r, std::shared_ptr<api_context> ctx) {
  r.add(http::verb::get, "/member/profile",
        [ctx](http_request& req, const path_params&, const request_meta& meta,
              http_responder respond) {
          get_profile(*ctx, req, meta, std::move(respond));
        });
  r.add(http::verb::patch, "/member/profile",
        [ctx](http_request& req, const path_params&, const request_meta& meta,
              http_responder respond) {
          patch_profile(*ctx, req, meta, std::move(respond));
        });
  r.add(http::verb::post, "/member/device",
        [ctx](http_request& req, const path_params&, const request_meta&,
              http_responder respond) {
          add_device(*ctx, req, std::move(respond));
        });
  r.add(http::verb::delete_, "/member/device/{token}",
        [ctx](http_request& req, const path_params& params, const request_meta&,
              http_responder respond) {
          remove_device(*ctx, req, params, std::move(respond));
        });
}

} // namespace h2h::net
