// DELETE /member/delete/{member_id} (DESIGN.md §3.1): a member deletes their
// own account. What goes and what stays is in docs/security.md.
#include <spdlog/spdlog.h>

#include "net/rest/api.hpp"

namespace h2h::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

/// Rows one statement of the history rewrite changes at most.
constexpr std::size_t rewrite_batch = 1000;

void delete_account(api_context& ctx, http_request& req,
                    const path_params& params, http_responder respond) {
  if (deny_anonymous(ctx, req, respond, true))
    return;
  auto named = member_id_of(json(params.at("member_id")));
  if (!named)
    return respond(
      error_response(req, errc::invalid_member_id, "invalid member_id"));
  run_as(
    ctx, req, std::move(respond), true,
    [&ctx, to = shape_of(req), named = *named](store& db, const caller& c) {
      if (named != c.member_id)
        return error_response(to, errc::forbidden,
                              "only your own account can be deleted");
      // The member row, sessions, refresh tokens, devices, avatar and
      // memberships go in one transaction: from now on no token of the
      // member passes a store check on any node, and the email is free.
      if (!db.delete_member(c.member_id))
        return error_response(to, errc::invalid_token, "the session has ended");
      // Running rooms (every node's) first: they rewrite the events they
      // replay from memory, let the member's sessions leave without a
      // notice that would name it, and refuse its messages from now on.
      if (ctx.notify_rooms)
        ctx.notify_rooms(
          room_change{{}, room_change_kind::member_deleted, c.member_id});
      if (ctx.end_session)
        ctx.end_session(c.session_id); // this node's cache and sockets, now
      if (ctx.end_member)
        ctx.end_member(c.member_id); // every node's sockets
      // History keeps the messages under a neutral name and without the id.
      auto n
        = db.anonymize_sender(c.member_id, deleted_member_name, rewrite_batch);
      spdlog::info("member {} deleted their account ({} event(s) in history "
                   "now from \"{}\")",
                   c.member_id, n, deleted_member_name);
      return empty_response(to, 204);
    });
}

} // namespace

void add_delete_routes(router& r, std::shared_ptr<api_context> ctx) {
  r.add(http::verb::delete_, "/member/delete/{member_id}",
        [ctx](http_request& req, const path_params& params, const request_meta&,
              http_responder respond) {
          delete_account(*ctx, req, params, std::move(respond));
        });
}

} // namespace h2h::net
