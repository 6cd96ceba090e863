// The node's wiring of Server-Sent Events and of the HTTP send.
#include "apps/h2hd/chat_streams.hpp"

#include "net/http/router.hpp"
#include "net/protocol/sse/sse_protocol.hpp"
#include "net/rest/api.hpp"

namespace h2h::net {

namespace {

constexpr const char* events_path = "/chat/room/{roomId}/events";

/// The stream a request asks for; a token's member names itself, so
/// ?sender= counts only without one.
std::variant<sse_open, frame_error> read_open(const http_request& req,
                                              const codec_limits& limits) {
  path_params params;
  auto path = target_path(req.target());
  router::match(events_path, path, params);
  auto last = query_param(req.target(), "lastEventId");
  auto sender = query_param(req.target(), "sender");
  auto header = req["Last-Event-ID"];
  sse_request_parts parts;
  parts.room_id = params["roomId"];
  parts.last_event_id = std::string_view{header.data(), header.size()};
  parts.query_last_event_id = last.found ? &last.value : nullptr;
  parts.query_sender
    = sender.found && bearer_token(req).empty() ? &sender.value : nullptr;
  return parse_sse_open(parts, limits);
}

/// The room's answer to a stream request of `member` (0: trusted mode).
errc room_access(store& db, const std::string& room_id, std::int64_t member) {
  auto room = db.room_by_id(room_id, false);
  if (!room)
    return errc::no_such_room;
  if (room->is_private && (member == 0 || !db.is_room_member(room_id, member)))
    return errc::not_member;
  return errc::none;
}

} // namespace

upgrade_entry events_endpoint(stream_wiring w) {
  upgrade_entry e;
  e.path = events_path;
  e.transport = transport_kind::sse;
  e.protocol.name = "sse";
  auto limits = w.limits;
  e.protocol.make_stream_protocol
    = [limits](const http_request& req) -> std::unique_ptr<wire_protocol> {
    auto open = read_open(req, *limits);
    if (auto* o = std::get_if<sse_open>(&open))
      return std::make_unique<sse_protocol>(std::move(*o));
    return nullptr;
  };
  e.protocol.make_session = w.make_session;
  e.authenticate = [w](const http_request& req, const request_meta&,
                       std::function<void(ws_auth)> done) {
    auto open = read_open(req, *w.limits);
    if (auto* err = std::get_if<frame_error>(&open)) {
      done(ws_auth::refused(err->code, err->message));
      return;
    }
    auto room_id = std::get<sse_open>(open).room_id;
    bool has_sender = !std::get<sse_open>(open).sender.empty();
    w.check_token(
      req, [w, room_id, has_sender, done = std::move(done)](ws_auth auth) {
        if (!auth.ok) {
          done(std::move(auth));
          return;
        }
        if (!auth.identity.authenticated && !has_sender) {
          done(ws_auth::refused(errc::invalid_field,
                                "without a token, ?sender= names the reader"));
          return;
        }
        auto member = auth.identity.member_id;
        std::function<errc(store&)> work = [room_id, member](store& db) {
          return room_access(db, room_id, member);
        };
        std::function<void(store_result<errc>)> checked
          = [auth, done, room_id](store_result<errc> r) mutable {
              if (!r) {
                done(ws_auth::refused(errc::unavailable,
                                      "store unavailable, retry"));
                return;
              }
              switch (*r) {
                case errc::no_such_room:
                  done(ws_auth::refused(*r, "no such room " + room_id));
                  return;
                case errc::not_member:
                  done(ws_auth::refused(*r, "not a member of room " + room_id));
                  return;
                default:
                  done(std::move(auth));
              }
            };
        w.store().run(std::move(work), std::move(checked));
      });
  };
  return e;
}

} // namespace h2h::net
