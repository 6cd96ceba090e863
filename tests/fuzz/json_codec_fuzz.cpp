// libFuzzer harness of the raw JSON codec
// (net/protocol/raw_json/json_codec.hpp): any text frame decodes without a
// crash; what decodes re-encodes (client frame, event, ACK) to the same values,
// and every refusal encodes to an ERROR frame that is valid UTF-8 and valid
// JSON carrying the same code and message.
//
// Input: the text of one client frame, as it comes out of the frame parser.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "net/protocol/raw_json/json_codec.hpp"
#include "net/protocol/utf8.hpp"
#include "invariant.hpp"

namespace net = h2h::net;
using h2h::client_command;
using h2h::command_kind;
using h2h::event_kind;
using nlohmann::json;

namespace {

using h2h::fuzz::check;
using h2h::fuzz::fail;

/// Parses server output: it must be UTF-8 and one JSON object.
json parse_output(const std::string& text) {
  check(net::valid_utf8(text), "server output is not UTF-8", text);
  auto j = json::parse(text, nullptr, false);
  check(!j.is_discarded() && j.is_object(),
        "server output is not a JSON object", text);
  return j;
}

std::string_view type_name(command_kind k) {
  switch (k) {
    case command_kind::enter:
      return "ENTER";
    case command_kind::exit:
      return "EXIT";
    case command_kind::message:
      break;
  }
  return "MESSAGE";
}

event_kind event_of(command_kind k) {
  switch (k) {
    case command_kind::enter:
      return event_kind::enter;
    case command_kind::exit:
      return event_kind::exit;
    case command_kind::message:
      break;
  }
  return event_kind::message;
}

/// YYYY-MM-DDTHH:MM:SS.mmmZ, as DESIGN.md §2.1 promises.
bool rfc3339_millis(std::string_view ts) {
  constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (ts.size() != shape.size())
    return false;
  for (std::size_t i = 0; i < ts.size(); ++i)
    if (shape[i] == 'd' ? !(ts[i] >= '0' && ts[i] <= '9') : ts[i] != shape[i])
      return false;
  return true;
}

bool within(std::string_view s, std::size_t max_chars) {
  return net::valid_utf8(s) && net::utf8_length(s) <= max_chars;
}

void check_command(const client_command& cmd, const net::codec_limits& lim,
                   std::string_view input) {
  check(net::valid_room_id(cmd.room_id, lim.max_room_id), "bad roomId accepted",
        input);
  check(within(cmd.sender, lim.max_sender), "bad sender accepted", input);
  check(within(cmd.client_msg_id, lim.max_client_msg_id),
        "bad clientMsgId accepted", input);
  check(within(cmd.text, lim.max_message_chars), "bad message accepted", input);
  if (cmd.kind == command_kind::message)
    check(!cmd.text.empty(), "empty message accepted", input);
  else
    check(cmd.text.empty(), "ENTER/EXIT kept the client's text", input);
  check(cmd.last_seq >= -1, "negative lastSeq accepted", input);

  // The same command written again as a client frame decodes to itself.
  json frame{{"type", type_name(cmd.kind)}, {"roomId", cmd.room_id}};
  if (!cmd.sender.empty())
    frame["sender"] = cmd.sender;
  if (cmd.kind == command_kind::message)
    frame["message"] = cmd.text;
  if (!cmd.client_msg_id.empty())
    frame["clientMsgId"] = cmd.client_msg_id;
  if (cmd.last_seq >= 0)
    frame["lastSeq"] = cmd.last_seq;
  auto again = net::decode_client_frame(frame.dump(), lim);
  auto* same = std::get_if<client_command>(&again);
  check(same != nullptr && *same == cmd, "re-encoded frame decodes differently",
        input);

  // What a room would broadcast for it, with extreme numbers too.
  for (std::int64_t n : {cmd.last_seq, -cmd.last_seq}) {
    h2h::room_event ev;
    ev.room_id = cmd.room_id;
    ev.kind = event_of(cmd.kind);
    ev.sender = cmd.sender;
    ev.sender_id = n;
    ev.text = cmd.text;
    ev.seq = static_cast<std::uint64_t>(n);
    ev.ts_ms = n;
    ev.client_msg_id = cmd.client_msg_id;
    auto text = net::encode_event(ev);
    auto j = parse_output(text);
    check(j.value("type", "") == net::kind_name(ev.kind), "event type", text);
    check(j.value("roomId", "") == ev.room_id, "event roomId", text);
    check(j.value("sender", "") == ev.sender, "event sender", text);
    check(j.value("message", "") == ev.text, "event message", text);
    check(j.value("seq", std::uint64_t{0}) == ev.seq, "event seq", text);
    check(j.contains("ts") && j["ts"].is_string()
            && rfc3339_millis(j["ts"].get<std::string>()),
          "event ts is not RFC 3339 with milliseconds", text);
    check(j.value("clientMsgId", "") == ev.client_msg_id, "event clientMsgId",
          text);
    if (ev.sender_id != 0)
      check(j.value("senderId", std::int64_t{0}) == ev.sender_id,
            "event senderId", text);

    auto ack = net::encode_ack(ev.room_id, ev.client_msg_id, ev.seq);
    auto a = parse_output(ack);
    check(a.value("type", "") == "ACK" && a.value("roomId", "") == ev.room_id
            && a.value("clientMsgId", "") == ev.client_msg_id
            && a.value("seq", std::uint64_t{0}) == ev.seq,
          "ACK does not carry its values", ack);
  }
}

void check_refusal(const net::frame_error& e, std::string_view input) {
  check(e.code != h2h::errc::none, "refusal without a code", input);
  check(!e.message.empty(), "refusal without a message", input);
  auto text = net::encode_error(e.code, e.message, e.client_msg_id);
  auto j = parse_output(text);
  check(j.value("type", "") == "ERROR", "ERROR type", text);
  check(j.value("code", "") == h2h::describe(e.code).code, "ERROR code", text);
  auto msg = j.value("message", "");
  check(!msg.empty(), "ERROR without a message", text);
  // Text that was UTF-8 already arrives whole, or cut to a prefix.
  if (net::valid_utf8(e.message))
    check(e.message.rfind(msg, 0) == 0, "ERROR message is not the refusal's",
          text);
  auto cmid = j.value("clientMsgId", "");
  if (net::valid_utf8(e.client_msg_id))
    check(e.client_msg_id.rfind(cmid, 0) == 0, "ERROR clientMsgId differs",
          text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  // The frame parser lets only UTF-8 text through; the codec must still
  // survive anything.
  net::codec_limits normal;
  net::codec_limits tiny;
  tiny.max_message_chars = 3;
  tiny.max_client_msg_id = 2;
  tiny.max_room_id = 3;
  tiny.max_sender = 2;
  for (auto* lim : {&normal, &tiny}) {
    auto r = net::decode_client_frame(input, *lim);
    if (auto* cmd = std::get_if<client_command>(&r))
      check_command(*cmd, *lim, input);
    else
      check_refusal(std::get<net::frame_error>(r), input);
  }
  return 0;
}
