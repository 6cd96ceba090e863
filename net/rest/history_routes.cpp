// GET /messages/room/{id}: history pages (original paging and cursor).
#include "net/rest/history_routes.hpp"

#include <limits>

#include "actors/vocabulary/blocks.hpp"
#include "net/rest/api.hpp"
#include "net/protocol/raw_json/json_codec.hpp"
#include "net/http/query_params.hpp"

namespace h2h::net {

namespace http = boost::beast::http;

std::variant<history_request, frame_error>
parse_history_request(const std::string& room_id, std::string_view target) {
  history_request out;
  out.query.room_id = room_id;
  if (!valid_room_id(room_id))
    return frame_error{errc::invalid_field, "invalid room id", {}};
  std::string problem;
  bool has_before = false, has_limit = false, has_page = false,
       has_size = false;
  std::uint64_t before = 0, limit = 50, page = 0, size = 20;
  constexpr auto max_seq
    = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!read_uint_param(target, "before", 1, max_seq, before, has_before,
                       problem)
      || !read_uint_param(target, "limit", 1, max_history_page, limit,
                          has_limit, problem)
      || !read_uint_param(target, "page", 0, 1000000, page, has_page, problem)
      || !read_uint_param(target, "size", 1, max_history_page, size, has_size,
                          problem))
    return frame_error{errc::invalid_field, problem, {}};
  if ((has_before || has_limit) && (has_page || has_size))
    return frame_error{
      errc::invalid_field, "use either page/size or before/limit", {}};
  if (has_before || has_limit) {
    out.cursor_mode = true;
    out.query.mode = history_mode::before;
    out.query.cursor = has_before ? before : max_seq;
    out.query.limit = limit;
  } else {
    out.query.mode = history_mode::page;
    out.query.cursor = page;
    out.query.limit = size;
  }
  return out;
}

std::string history_body(const history_request& req,
                         const std::vector<room_event>& events,
                         const std::vector<std::int64_t>& blocked) {
  std::string list = "[";
  bool first = true;
  for (auto& ev : events) {
    if (!blocked.empty() && hides(blocked, ev))
      continue;
    if (!first)
      list += ',';
    first = false;
    list += encode_event(ev);
  }
  list += ']';
  if (!req.cursor_mode)
    return list;
  // Newest first: the oldest of this page is the next cursor, unless the
  // page was not full or reached seq 1.
  std::string next = "null";
  if (events.size() == req.query.limit && !events.empty()
      && events.back().seq > 1)
    next = std::to_string(events.back().seq);
  return "{\"messages\":" + list + ",\"next_before\":" + next + "}";
}

void add_history_routes(router& r, std::shared_ptr<api_context> ctx) {
  r.add(
    http::verb::get, "/messages/room/{id}",
    [ctx](http_request& req, const path_params& params, const request_meta&,
          http_responder respond) {
      if (deny_anonymous(*ctx, req, respond, ctx->cfg.auth_required))
        return;
      auto parsed = parse_history_request(params.at("id"), req.target());
      if (auto* err = std::get_if<frame_error>(&parsed)) {
        respond(error_response(req, err->code, err->message));
        return;
      }
      run_as(
        *ctx, req, std::move(respond), ctx->cfg.auth_required,
        [to = shape_of(req),
         hr = std::get<history_request>(parsed)](store& db, const caller& c) {
          auto& q = hr.query;
          auto room = db.room_by_id(q.room_id, false);
          if (!room)
            return error_response(to, errc::no_such_room, "no such room");
          if (room->is_private && !db.is_room_member(q.room_id, c.member_id))
            return error_response(to, errc::not_member,
                                  "not a member of this room");
          auto limit = static_cast<std::size_t>(q.limit);
          auto events
            = q.mode == history_mode::before
                ? db.before(q.room_id, q.cursor, limit)
                : db.page(q.room_id, static_cast<std::size_t>(q.cursor), limit);
          // The reader's own blocks: an anonymous reader (auth.required
          // off) blocks nobody.
          auto blocked = c.member_id != 0 ? db.blocked_by(c.member_id)
                                          : std::vector<std::int64_t>{};
          return json_response(to, 200, history_body(hr, events, blocked));
        });
    });
}

} // namespace h2h::net
