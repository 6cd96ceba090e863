// POST /chat/room/{roomId}/message: an HTTP send, answered once committed.
#include "net/rest/send_route.hpp"

#include "net/protocol/display_name.hpp"
#include "net/protocol/utf8.hpp"
#include "net/rest/api.hpp"

namespace h2h::net {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

frame_error refuse(errc code, std::string message) {
  return frame_error{code, std::move(message), {}};
}

/// The text of a room's error for the client.
std::string error_text(const caf::error& err) {
  auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  if (to_errc(err) == errc::unavailable)
    return "room unavailable, retry";
  return std::string{describe(to_errc(err)).code};
}

} // namespace

std::variant<send_body, frame_error>
parse_send_body(const json& body, const codec_limits& limits) {
  send_body out;
  auto text = body.find("message");
  if (text == body.end() || text->is_null())
    return refuse(errc::bad_frame, "message is required");
  if (!text->is_string())
    return refuse(errc::bad_frame, "message must be a string");
  out.message = text->get<std::string>();
  if (out.message.empty())
    return refuse(errc::bad_frame, "message is required");
  if (utf8_length(out.message) > limits.max_message_chars)
    return refuse(errc::message_too_long,
                  "message is longer than "
                    + std::to_string(limits.max_message_chars) + " characters");
  if (auto id = body.find("clientMsgId"); id != body.end() && !id->is_null()) {
    if (!id->is_string())
      return refuse(errc::bad_frame, "clientMsgId must be a string");
    out.client_msg_id = id->get<std::string>();
    if (utf8_length(out.client_msg_id) > limits.max_client_msg_id)
      return refuse(errc::bad_frame,
                    "clientMsgId is longer than "
                      + std::to_string(limits.max_client_msg_id)
                      + " characters");
  }
  if (auto s = body.find("sender"); s != body.end() && !s->is_null()) {
    if (!s->is_string())
      return refuse(errc::bad_frame, "sender must be a string");
    out.sender = s->get<std::string>();
    if (utf8_length(out.sender) > limits.max_sender)
      return refuse(errc::bad_frame, "sender is longer than "
                                       + std::to_string(limits.max_sender)
                                       + " characters");
    if (auto problem = display_name_problem(out.sender);
        !out.sender.empty() && !problem.empty())
      return refuse(errc::bad_frame, "sender " + problem);
  }
  return out;
}

std::string send_answer(const std::string& room_id, const publish_ack& ack) {
  std::string out = "{\"roomId\":";
  append_json_string(out, room_id);
  out += ",\"seq\":" + std::to_string(ack.seq) + ",\"ts\":\""
         + format_timestamp(ack.ts_ms) + "\"}";
  return out;
}

void add_send_route(router& r, std::shared_ptr<const send_route_deps> deps) {
  r.add(http::verb::post, "/chat/room/{roomId}/message",
        [deps](http_request& req, const path_params& params,
               const request_meta&, http_responder respond) {
          auto to = shape_of(req);
          auto room_id = params.at("roomId");
          if (!valid_room_id(room_id, deps->limits.max_room_id)) {
            respond(error_response(to, errc::invalid_field, "invalid room id"));
            return;
          }
          // Strangers are refused before their input is read; the token (and
          // its login session) is checked as for /message.
          auto request = std::make_shared<http_request>(std::move(req));
          deps->authenticate(
            *request, [deps, to, room_id, respond, request](ws_auth auth) {
              if (!auth.ok) {
                respond(error_response(to, auth.code, auth.message));
                return;
              }
              auto parsed = read_json_body(*request);
              if (auto* res = std::get_if<http_response>(&parsed)) {
                respond(std::move(*res));
                return;
              }
              auto body = parse_send_body(std::get<json>(parsed), deps->limits);
              if (auto* err = std::get_if<frame_error>(&body)) {
                respond(error_response(to, err->code, err->message));
                return;
              }
              auto& b = std::get<send_body>(body);
              publish_request p;
              if (auth.identity.authenticated) {
                p.sender = auth.identity.name;
                p.sender_id = auth.identity.member_id;
              } else if (b.sender.empty()) {
                respond(
                  error_response(to, errc::bad_frame, "sender is required"));
                return;
              } else {
                p.sender = std::move(b.sender);
              }
              auto key = p.sender_id != 0 ? "m" + std::to_string(p.sender_id)
                                          : "s" + p.sender;
              if (!deps->rate->allow(key, deps->now_ms())) {
                respond(error_response(to, errc::rate_limited,
                                       "sending too fast, slow down"));
                return;
              }
              p.text = std::move(b.message);
              p.client_msg_id = std::move(b.client_msg_id);
              deps->post(
                room_id, std::move(p),
                [to, room_id, respond](caf::expected<publish_ack> ack) {
                  if (!ack) {
                    respond(error_response(to, to_errc(ack.error()),
                                           error_text(ack.error())));
                    return;
                  }
                  respond(json_response(to, 201, send_answer(room_id, *ack)));
                });
            });
        });
}

} // namespace h2h::net
