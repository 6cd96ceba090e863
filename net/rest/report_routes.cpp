// POST /member/report (DESIGN.md §3.1): a member reports another; the
// report keeps the target's last messages in rooms both share, copied now,
// for the operators who read it (h2h-admin reports).
#include <spdlog/spdlog.h>

#include "net/protocol/utf8.hpp"
#include "net/rest/api.hpp"

namespace h2h::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

/// Longest reason, in characters.
constexpr std::size_t max_reason_chars = 500;
/// The context: at most this many messages, of at most this many shared
/// rooms, each text cut to `context_text_bytes`, all in `context_bytes`.
constexpr std::size_t context_messages = 20;
constexpr std::size_t context_rooms = 50;
constexpr std::size_t context_text_bytes = 2048;
constexpr std::size_t context_bytes = 16384;

/// The context as stored: a JSON array, newest first, within the bounds.
std::string context_json(const std::vector<room_event>& events) {
  json out = json::array();
  std::size_t bytes = 2;
  for (auto& ev : events) {
    auto text = valid_utf8(ev.text) ? ev.text : utf8_repair(ev.text);
    text.resize(utf8_cut(text, context_text_bytes));
    json one{{"roomId", ev.room_id},
             {"seq", ev.seq},
             {"sender", ev.sender},
             {"message", std::move(text)},
             {"ts_ms", ev.ts_ms}};
    auto size = one.dump().size() + 1;
    if (bytes + size > context_bytes)
      break;
    bytes += size;
    out.push_back(std::move(one));
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// A member id field: nullopt when absent or invalid.
std::optional<std::int64_t> id_field(const json& body, const char* key) {
  auto i = body.find(key);
  if (i == body.end())
    return std::nullopt;
  return member_id_of(*i);
}

void post_report(api_context& ctx, http_request& req, http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto& body = std::get<json>(parsed);
  auto named = id_field(body, "member_id");
  if (!named)
    return respond(
      error_response(req, errc::invalid_member_id, "invalid member_id"));
  auto target = id_field(body, "target_id");
  if (!target)
    return respond(
      error_response(req, errc::invalid_member_id, "invalid target_id"));
  std::string reason;
  // The app may send an empty reason: that is no reason.
  if (auto r = body.find("reason");
      r != body.end()
      && !(r->is_string() && r->get_ref<const std::string&>().empty())) {
    auto v = string_field(body, "reason", max_reason_chars);
    if (auto* err = std::get_if<api_error>(&v))
      return respond(error_reply(shape_of(req), *err));
    reason = std::get<std::optional<std::string>>(v).value_or("");
  }
  run_as(ctx, req, std::move(respond), true,
         [&ctx, to = shape_of(req), named = *named, target = *target,
          reason](store& db, const caller& c) {
           if (named != c.member_id)
             return error_response(to, errc::forbidden,
                                   "only your own member_id may report");
           // Reports are rows kept for months: a member makes a bounded
           // number. Charged once the session is known to be live, so that
           // a logged-out token cannot use up its member's reports.
           if (!ctx.reports_by_member.allow(std::to_string(c.member_id),
                                            ctx.now_ms()))
             return error_response(to, errc::rate_limited,
                                   "too many reports, try later");
           if (target == c.member_id)
             return error_response(to, errc::invalid_member_id,
                                   "a member cannot report themself");
           if (!db.member_by_id(target))
             return error_response(to, errc::invalid_member_id,
                                   "no such member");
           report_record r;
           r.reporter_id = c.member_id;
           r.target_id = target;
           r.reason = reason;
           r.created_ms = ctx.now_ms();
           r.context = context_json(db.shared_messages(
             c.member_id, target, context_messages, context_rooms));
           auto id = db.put_report(r);
           spdlog::info("member {} reported member {} (report {})", c.member_id,
                        target, id);
           return json_response(
             to, 200,
             json{{"member_id", c.member_id}, {"target_id", target}}.dump());
         });
}

} // namespace

void add_report_routes(router& r, std::shared_ptr<api_context> ctx) {
  r.add(http::verb::post, "/member/report",
        [ctx](http_request& req, const path_params&, const request_meta&,
              http_responder respond) {
          post_report(*ctx, req, std::move(respond));
        });
}

} // namespace h2h::net
