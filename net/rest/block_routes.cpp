// /member/block, /member/unblock and /member/getBlockingMembers (DESIGN.md
// §3.1): a member's own block list. A change is told to the member's live
// sessions on every node before the answer (api_context::blocks_changed).
#include <memory>

#include "net/rest/api.hpp"

namespace h2h::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

/// The ids of a block or unblock request, or the answer refusing it.
struct block_pair {
  std::optional<std::int64_t> member; // absent: the caller
  std::int64_t target = 0;
};

std::variant<block_pair, api_error> read_pair(const json& body) {
  block_pair out;
  if (auto i = body.find("member_id"); i != body.end() && !i->is_null()) {
    out.member = member_id_of(*i);
    if (!out.member)
      return api_error{errc::invalid_member_id, "invalid member_id"};
  }
  auto t = body.find("target_id");
  if (t == body.end() || t->is_null())
    return api_error{errc::invalid_member_id, "target_id is required"};
  auto target = member_id_of(*t);
  if (!target)
    return api_error{errc::invalid_member_id, "invalid target_id"};
  out.target = *target;
  return out;
}

std::string echo(std::int64_t member, std::int64_t target) {
  return json{{"member_id", member}, {"target_id", target}}.dump();
}

/// Answers `res`; when the store job left a new block list in `changed`,
/// only after the member's sessions were told (blocks_changed).
http_responder tell_then_answer(
  api_context& ctx, http_responder respond,
  std::shared_ptr<std::pair<std::int64_t, std::vector<std::int64_t>>> changed) {
  return [tell = ctx.blocks_changed, respond = std::move(respond),
          changed](http_response res) {
    if (!changed->first || !tell) {
      respond(std::move(res));
      return;
    }
    auto shared = std::make_shared<http_response>(std::move(res));
    tell(changed->first, std::move(changed->second),
         [respond, shared] { respond(std::move(*shared)); });
  };
}

void change_block(api_context& ctx, http_request& req, http_responder respond,
                  bool blocking) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  auto parsed = read_json_body(req);
  if (auto* res = std::get_if<http_response>(&parsed))
    return respond(std::move(*res));
  auto pair = read_pair(std::get<json>(parsed));
  if (auto* err = std::get_if<api_error>(&pair))
    return respond(error_reply(shape_of(req), *err));
  auto ids = std::get<block_pair>(pair);
  auto changed
    = std::make_shared<std::pair<std::int64_t, std::vector<std::int64_t>>>();
  run_as(ctx, req, tell_then_answer(ctx, std::move(respond), changed), true,
         [to = shape_of(req), ids, blocking, changed,
          max = ctx.cfg.blocks_per_member,
          now = ctx.now_ms()](store& db, const caller& c) {
           if (ids.member && *ids.member != c.member_id)
             return error_response(to, errc::forbidden,
                                   "only your own blocks can change");
           if (ids.target == c.member_id)
             return error_response(to, errc::invalid_field,
                                   "you cannot block yourself");
           if (blocking) {
             switch (db.block(c.member_id, ids.target, now, max)) {
               case block_outcome::blocked:
                 break;
               case block_outcome::already:
                 return error_response(to, errc::already_blocking,
                                       "already blocking this member");
               case block_outcome::no_target:
                 return error_response(to, errc::invalid_member_id,
                                       "no member with this target_id");
               case block_outcome::full:
                 return error_response(
                   to, errc::block_list_full,
                   "you block " + std::to_string(max)
                     + " members already: unblock one first");
             }
           } else if (!db.unblock(c.member_id, ids.target)) {
             // Not blocking them: nothing changes, and the answer is the
             // same as for an unblock (the app retries failed calls).
             if (!db.member_by_id(ids.target))
               return error_response(to, errc::invalid_member_id,
                                     "no member with this target_id");
             return json_response(to, 200, echo(c.member_id, ids.target));
           }
           changed->first = c.member_id;
           changed->second = db.blocked_by(c.member_id);
           return json_response(to, 200, echo(c.member_id, ids.target));
         });
}

void list_blocked(api_context& ctx, http_request& req, const request_meta& meta,
                  http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  std::optional<std::int64_t> named;
  auto q = query_param(req.target(), "member_id");
  if (q.found) {
    named = member_id_of(json(q.value));
    if (!named)
      return respond(
        error_response(req, errc::invalid_member_id, "invalid member_id"));
  }
  run_as(ctx, req, std::move(respond), true,
         [to = shape_of(req), named, max = ctx.cfg.blocks_per_member,
          base = public_base(ctx.cfg, req, meta)](store& db, const caller& c) {
           if (named && *named != c.member_id)
             return error_response(to, errc::forbidden,
                                   "only your own block list can be read");
           auto members = json::array();
           for (auto& b : db.blocked_members(c.member_id, max)) {
             auto url = b.avatar ? avatar_url(base, b.member.id, *b.avatar)
                                 : b.member.avatar_url;
             members.push_back({{"id", b.member.id},
                                {"email", b.member.email},
                                {"nickname", b.member.nickname},
                                {"name", b.member.name},
                                {"avatar_url", url}});
           }
           json body{{"size", members.size()}, {"members", members}};
           return json_response(to, 200, body.dump());
         });
}

} // namespace

void add_block_routes(router& r, std::shared_ptr<api_context> ctx) {
  r.add(http::verb::post, "/member/block",
        [ctx](http_request& req, const path_params&, const request_meta&,
              http_responder respond) {
          change_block(*ctx, req, std::move(respond), true);
        });
  r.add(http::verb::post, "/member/unblock",
        [ctx](http_request& req, const path_params&, const request_meta&,
              http_responder respond) {
          change_block(*ctx, req, std::move(respond), false);
        });
  r.add(http::verb::get, "/member/getBlockingMembers",
        [ctx](http_request& req, const path_params&, const request_meta& meta,
              http_responder respond) {
          list_blocked(*ctx, req, meta, std::move(respond));
        });
}

} // namespace h2h::net
