// /chat/room*: rooms and membership (DESIGN.md §3.2).
#include "net/rest/api.hpp"
#include "net/security/crypto.hpp"
#include "net/http/query_params.hpp"

namespace h2h::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

json room_json(const room_record& r, bool with_members) {
  json j{{"roomId", r.id},
         {"name", r.name},
         {"ownerId", r.owner_id == 0 ? json(nullptr) : json(r.owner_id)},
         {"private", r.is_private}};
  if (with_members)
    j["members"] = r.members;
  return j;
}

std::string new_room_id() {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  auto raw = crypto::random_bytes(12);
  std::string id = "r";
  for (unsigned char c : raw)
    id += alphabet[c % 36];
  return id;
}

void notify(api_context& ctx, std::string room, room_change_kind kind,
            std::int64_t member) {
  if (ctx.notify_rooms)
    ctx.notify_rooms(room_change{std::move(room), kind, member});
}

void create(api_context& ctx, http_request& req, http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto& body = std::get<json>(parsed);
  auto name = string_field(body, "name", 100);
  if (auto* err = std::get_if<api_error>(&name))
    return respond(error_reply(shape_of(req), *err));
  if (!std::get<std::optional<std::string>>(name))
    return respond(
      error_response(req, errc::invalid_field, "name is required"));
  bool is_private = false;
  if (auto p = body.find("private"); p != body.end() && !p->is_null()) {
    if (!p->is_boolean())
      return respond(error_response(req, errc::invalid_field,
                                    "private must be true or false"));
    is_private = p->get<bool>();
  }
  run_as(
    ctx, req, std::move(respond), true,
    [&ctx, to = shape_of(req), n = *std::get<std::optional<std::string>>(name),
     is_private](store& db, const caller& c) {
      // A room is a row and a room actor: a member creates a bounded
      // number (ENTER creations are limited the same way by the room
      // directory). Charged once the session is known to be live, so
      // that a logged-out token cannot use up its member's rooms.
      if (!ctx.rooms_by_member.allow(std::to_string(c.member_id), ctx.now_ms()))
        return error_response(to, errc::rate_limited,
                              "too many rooms created, try later");
      room_record r;
      r.name = n;
      r.owner_id = c.member_id;
      r.is_private = is_private;
      r.created_ms = ctx.now_ms();
      for (int attempt = 0; attempt < 5; ++attempt) {
        r.id = new_room_id();
        if (db.create_room(r))
          return json_response(to, 201, room_json(r, false).dump());
      }
      return error_response(to, errc::internal, "no room id available");
    });
}

/// GET /chat/rooms pages like the original API's lists: `page` (0-based)
/// and `size`; a client that sends neither gets the first page.
constexpr std::uint64_t default_rooms_page = 20;
constexpr std::uint64_t max_rooms_page = 100;

void list(api_context& ctx, http_request& req, http_responder respond) {
  if (deny_anonymous(ctx, req, respond, ctx.cfg.auth_required))
    return;
  std::string problem;
  bool has_page = false, has_size = false;
  std::uint64_t page = 0, size = default_rooms_page;
  if (!read_uint_param(req.target(), "page", 0, 1000000, page, has_page,
                       problem)
      || !read_uint_param(req.target(), "size", 1, max_rooms_page, size,
                          has_size, problem))
    return respond(error_response(req, errc::invalid_field, problem));
  run_as(ctx, req, std::move(respond), ctx.cfg.auth_required,
         [to = shape_of(req), page, size](store& db, const caller& c) {
           auto out = json::array();
           for (auto& r :
                db.rooms_visible_to(c.member_id, static_cast<std::size_t>(page),
                                    static_cast<std::size_t>(size)))
             out.push_back(room_json(r, false));
           return json_response(to, 200, out.dump());
         });
}

void get_one(api_context& ctx, http_request& req, const path_params& p,
             http_responder respond) {
  run_as(ctx, req, std::move(respond), ctx.cfg.auth_required,
         [to = shape_of(req), id = p.at("id")](store& db, const caller& c) {
           auto r = db.room_by_id(id, true);
           if (!r)
             return error_response(to, errc::no_such_room, "no such room");
           if (r->is_private
               && std::find(r->members.begin(), r->members.end(), c.member_id)
                    == r->members.end())
             return error_response(to, errc::not_member,
                                   "not a member of this room");
           return json_response(to, 200, room_json(*r, true).dump());
         });
}

void remove(api_context& ctx, http_request& req, const path_params& p,
            http_responder respond) {
  run_as(
    ctx, req, std::move(respond), true,
    [&ctx, to = shape_of(req), id = p.at("id")](store& db, const caller& c) {
      auto r = db.room_by_id(id, false);
      if (!r)
        return error_response(to, errc::no_such_room, "no such room");
      if (r->owner_id != c.member_id)
        return error_response(to, errc::forbidden,
                              "only the owner can delete a room");
      db.delete_room(id);
      notify(ctx, id, room_change_kind::deleted, 0);
      return empty_response(to, 204);
    });
}

void invite(api_context& ctx, http_request& req, const path_params& p,
            http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto& body = std::get<json>(parsed);
  auto mid = body.find("member_id");
  auto member = mid == body.end() ? std::nullopt : member_id_of(*mid);
  if (!member)
    return respond(
      error_response(req, errc::invalid_member_id, "invalid member_id"));
  run_as(ctx, req, std::move(respond), true,
         [&ctx, to = shape_of(req), id = p.at("id"),
          member = *member](store& db, const caller& c) {
           auto r = db.room_by_id(id, false);
           if (!r)
             return error_response(to, errc::no_such_room, "no such room");
           if (r->owner_id != c.member_id)
             return error_response(to, errc::forbidden,
                                   "only the owner can invite");
           if (!db.member_by_id(member))
             return error_response(to, errc::no_such_member, "no such member");
           // Nobody is brought into a room by someone they block.
           if (member != c.member_id && db.blocks(member, c.member_id))
             return error_response(to, errc::forbidden,
                                   "this member cannot be invited by you");
           db.add_room_member(id, member);
           notify(ctx, id, room_change_kind::member_added, member);
           return json_response(
             to, 201, json{{"roomId", id}, {"member_id", member}}.dump());
         });
}

void leave(api_context& ctx, http_request& req, const path_params& p,
           http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  auto member = member_id_of(json(p.at("member_id")));
  if (!member)
    return respond(
      error_response(req, errc::invalid_member_id, "invalid member_id"));
  run_as(ctx, req, std::move(respond), true,
         [&ctx, to = shape_of(req), id = p.at("id"),
          member = *member](store& db, const caller& c) {
           auto r = db.room_by_id(id, false);
           if (!r)
             return error_response(to, errc::no_such_room, "no such room");
           if (c.member_id != member && c.member_id != r->owner_id)
             return error_response(to, errc::forbidden,
                                   "only the owner or the member can do this");
           if (member == r->owner_id)
             return error_response(to, errc::forbidden,
                                   "the owner cannot leave; delete the room");
           if (!db.remove_room_member(id, member))
             return error_response(to, errc::not_member,
                                   "not a member of this room");
           notify(ctx, id, room_change_kind::member_removed, member);
           return empty_response(to, 204);
         });
}

} // namespace

void add_room_routes(router& r, std::shared_ptr<api_context> ctx) {
  r.add(
    http::verb::post, "/chat/room",
    [ctx](http_request& req, const path_params&, const request_meta&,
          http_responder respond) { create(*ctx, req, std::move(respond)); });
  r.add(http::verb::get, "/chat/rooms",
        [ctx](http_request& req, const path_params&, const request_meta&,
              http_responder respond) { list(*ctx, req, std::move(respond)); });
  r.add(http::verb::get, "/chat/room/{id}",
        [ctx](http_request& req, const path_params& p, const request_meta&,
              http_responder respond) {
          get_one(*ctx, req, p, std::move(respond));
        });
  r.add(http::verb::delete_, "/chat/room/{id}",
        [ctx](http_request& req, const path_params& p, const request_meta&,
              http_responder respond) {
          remove(*ctx, req, p, std::move(respond));
        });
  r.add(http::verb::post, "/chat/room/{id}/members",
        [ctx](http_request& req, const path_params& p, const request_meta&,
              http_responder respond) {
          invite(*ctx, req, p, std::move(respond));
        });
  r.add(
    http::verb::delete_, "/chat/room/{id}/members/{member_id}",
    [ctx](http_request& req, const path_params& p, const request_meta&,
          http_responder respond) { leave(*ctx, req, p, std::move(respond)); });
}

} // namespace h2h::net
