// Avatars: POST /member/uploadAvatar (multipart, the type taken from the
// bytes) and GET /media/avatars/{member_id}/{hash}.{ext} for everyone, with
// immutable caching (DESIGN.md §3.1).
#include <memory>

#include "net/http/image_type.hpp"
#include "net/http/multipart.hpp"
#include "net/rest/api.hpp"
#include "net/security/crypto.hpp"

namespace h2h::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

/// What multipart framing may add to the image: the member_id part and the
/// headers of both parts (OkHttp's are ~300 bytes).
constexpr std::size_t multipart_overhead = 16 * 1024;

std::optional<std::int64_t> digits_to_id(std::string_view s) {
  if (s.empty() || s.size() > 18)
    return std::nullopt;
  std::int64_t n = 0;
  for (auto c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n <= 0)
    return std::nullopt;
  return n;
}

void upload_avatar(api_context& ctx, http_request& req,
                   const request_meta& meta, http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  multipart::limits lim;
  lim.max_total_bytes = ctx.cfg.avatar_bytes + multipart_overhead;
  auto parsed
    = multipart::parse(req[http::field::content_type], req.body(), lim);
  switch (parsed.error) {
    case multipart::failure::none:
      break;
    case multipart::failure::bad_content_type:
      return respond(error_response(
        req, errc::wrong_media_type,
        "Content-Type must be multipart/form-data with a boundary"));
    case multipart::failure::too_large:
      return respond(
        error_response(req, errc::upload_too_large, parsed.message));
    case multipart::failure::malformed:
      return respond(error_response(req, errc::invalid_field, parsed.message));
  }
  const auto* id_part = parsed.find("member_id");
  const auto* file_part = parsed.find("file");
  if (id_part == nullptr)
    return respond(
      error_response(req, errc::missing_part, "the member_id part is missing"));
  auto named = digits_to_id(id_part->body);
  if (!named)
    return respond(
      error_response(req, errc::invalid_member_id, "invalid member_id"));
  if (file_part == nullptr)
    return respond(
      error_response(req, errc::missing_part, "the file part is missing"));
  // Authorization is checked against the token before the file is judged,
  // so that nobody learns anything about another member's upload.
  auto who = check_bearer(req, ctx, true);
  if (auto* c = std::get_if<caller>(&who); c && c->member_id != *named)
    return respond(
      error_response(req, errc::forbidden, "only your own avatar can change"));
  if (file_part->body.size() > ctx.cfg.avatar_bytes)
    return respond(error_response(req, errc::upload_too_large,
                                  "the image is larger than "
                                    + std::to_string(ctx.cfg.avatar_bytes)
                                    + " bytes"));
  // The claimed Content-Type of the part is never believed.
  auto type = sniff_image(file_part->body);
  if (!type)
    return respond(error_response(req, errc::not_an_image,
                                  "the file is not a PNG, JPEG, GIF or WebP "
                                  "image"));
  auto record = std::make_shared<avatar_record>();
  record->member_id = *named;
  record->hash = crypto::sha256_hex(file_part->body);
  record->mime = std::string(type->mime);
  record->bytes = file_part->body;
  record->created_ms = ctx.now_ms();
  run_as(ctx, req, std::move(respond), true,
         [to = shape_of(req), record,
          base = public_base(ctx.cfg, req, meta)](store& db, const caller& c) {
           if (record->member_id != c.member_id)
             return error_response(to, errc::forbidden,
                                   "only your own avatar can change");
           if (!db.put_avatar(*record))
             return error_response(to, errc::no_such_member, "no such member");
           return json_response(
             to, 201,
             json{{"member_id", c.member_id},
                  {"avatar_url", avatar_url(base, c.member_id, *record)}}
               .dump());
         });
}

/// True when an If-None-Match value names `etag` (weak comparison, RFC
/// 7232 §3.2) or is `*`.
bool none_match(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item.substr(0, 2) == "W/")
      item.remove_prefix(2);
    if (item == "*" || item == etag)
      return true;
    if (comma == std::string_view::npos)
      break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

bool is_hash(std::string_view s) {
  if (s.size() != 64)
    return false;
  for (auto c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

void serve_avatar(api_context& ctx, http_request& req,
                  const path_params& params, http_responder respond) {
  auto to = shape_of(req);
  auto member = digits_to_id(params.at("member_id"));
  const auto& file = params.at("file");
  auto dot = file.rfind('.');
  auto hash = file.substr(0, dot);
  auto type = dot == std::string::npos
                ? std::nullopt
                : image_type_of_ext(std::string_view(file).substr(dot + 1));
  if (!member || !is_hash(hash) || !type)
    return respond(error_response(to, errc::unknown_path, "no such avatar"));
  auto etag = "\"" + hash + "\"";
  bool cached = none_match(req[http::field::if_none_match], etag);
  run_job(
    ctx, to, std::move(respond),
    [to, member = *member, hash, etag, cached,
     mime = std::string(type->mime)](store& db) {
      // A 304 needs only the description; a 200 the bytes.
      auto a = cached ? db.current_avatar(member) : db.avatar(member, hash);
      if (!a || a->hash != hash || a->mime != mime)
        return error_response(to, errc::unknown_path, "no such avatar");
      http_response res{cached ? http::status::not_modified : http::status::ok,
                        to.version};
      res.keep_alive(to.keep_alive);
      res.set(http::field::etag, etag);
      res.set(http::field::cache_control,
              "public, max-age=31536000, immutable");
      res.set("X-Content-Type-Options", "nosniff");
      if (!cached) {
        res.set(http::field::content_type, mime);
        res.body() = std::move(a->bytes);
      }
      res.prepare_payload();
      return res;
    });
}

} // namespace

void add_avatar_routes(router& r, std::shared_ptr<api_context> ctx) {
  r.add(http::verb::post, "/member/uploadAvatar",
        [ctx](http_request& req, const path_params&, const request_meta& meta,
              http_responder respond) {
          upload_avatar(*ctx, req, meta, std::move(respond));
        });
  r.add(http::verb::get, "/media/avatars/{member_id}/{file}",
        [ctx](http_request& req, const path_params& params, const request_meta&,
              http_responder respond) {
          serve_avatar(*ctx, req, params, std::move(respond));
        });
}

} // namespace h2h::net
