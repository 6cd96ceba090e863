// The raw JSON protocol of /message (DESIGN.md §2.1): pure decode and encode.
#include "net/protocol/raw_json/json_codec.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "net/protocol/display_name.hpp"
#include "net/protocol/utf8.hpp"

namespace h2h::net {

using nlohmann::json;

namespace {

frame_error refuse(errc code, std::string message, std::string cmid = {}) {
  return frame_error{code, std::move(message), std::move(cmid)};
}

/// Reads an optional string member; false when present with another type.
bool optional_string(const json& obj, const char* key, std::string& out) {
  auto i = obj.find(key);
  if (i == obj.end() || i->is_null())
    return true;
  if (!i->is_string())
    return false;
  out = i->get<std::string>();
  return true;
}

void append_uint(std::string& out, std::uint64_t x) {
  char buf[24];
  auto n = std::snprintf(buf, sizeof(buf), "%llu",
                         static_cast<unsigned long long>(x));
  out.append(buf, static_cast<std::size_t>(n));
}

void append_int(std::string& out, std::int64_t x) {
  char buf[24];
  auto n = std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(x));
  out.append(buf, static_cast<std::size_t>(n));
}

/// Longest text of an ERROR frame's message, in bytes.
constexpr std::size_t max_error_message = 512;
/// Longest clientMsgId echoed in an ERROR frame (64 characters of up to
/// four bytes each: a valid one is never cut).
constexpr std::size_t max_echoed_id = 256;

/// Appends `s` as a JSON string of at most `max` bytes of text, cut at a
/// code point, with ill-formed UTF-8 replaced: what goes back to a client
/// must never make it fail the connection (browsers close with 1007).
void append_client_text(std::string& out, std::string_view s, std::size_t max) {
  if (valid_utf8(s)) {
    append_json_string(out, s.substr(0, utf8_cut(s, max)));
    return;
  }
  auto repaired = utf8_repair(s);
  append_json_string(
    out, std::string_view{repaired}.substr(0, utf8_cut(repaired, max)));
}

} // namespace

bool valid_room_id(std::string_view id, std::size_t max) {
  if (id.empty() || id.size() > max)
    return false;
  for (unsigned char c : id)
    if (!(std::isalnum(c) || c == '-' || c == '_'))
      return false;
  return true;
}

decode_result decode_client_frame(std::string_view text,
                                  const codec_limits& limits) {
  auto doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded())
    return refuse(errc::unreadable_json, "frame is not valid JSON");
  if (!doc.is_object())
    return refuse(errc::bad_frame, "frame must be a JSON object");
  client_command cmd;
  if (!optional_string(doc, "clientMsgId", cmd.client_msg_id))
    return refuse(errc::bad_frame, "clientMsgId must be a string");
  if (utf8_length(cmd.client_msg_id) > limits.max_client_msg_id)
    return refuse(errc::bad_frame, "clientMsgId is longer than "
                                     + std::to_string(limits.max_client_msg_id)
                                     + " characters");
  auto cmid = cmd.client_msg_id;
  std::string type;
  if (!optional_string(doc, "type", type) || type.empty())
    return refuse(errc::bad_frame, "type is required", cmid);
  if (type == "ENTER")
    cmd.kind = command_kind::enter;
  else if (type == "MESSAGE" || type == "TALK")
    cmd.kind = command_kind::message;
  else if (type == "EXIT")
    cmd.kind = command_kind::exit;
  else
    return refuse(errc::bad_frame,
                  "unknown type '" + type.substr(0, utf8_cut(type, 32)) + "'",
                  cmid);
  if (!optional_string(doc, "roomId", cmd.room_id))
    return refuse(errc::bad_frame, "roomId must be a string", cmid);
  if (cmd.room_id.empty())
    return refuse(errc::bad_frame, "roomId is required", cmid);
  if (!valid_room_id(cmd.room_id, limits.max_room_id))
    return refuse(errc::bad_frame,
                  "roomId must be 1 to " + std::to_string(limits.max_room_id)
                    + " letters, digits, '-' or '_'",
                  cmid);
  if (!optional_string(doc, "sender", cmd.sender))
    return refuse(errc::bad_frame, "sender must be a string", cmid);
  if (utf8_length(cmd.sender) > limits.max_sender)
    return refuse(errc::bad_frame,
                  "sender is longer than " + std::to_string(limits.max_sender)
                    + " characters",
                  cmid);
  if (auto problem = display_name_problem(cmd.sender);
      !cmd.sender.empty() && !problem.empty())
    return refuse(errc::bad_frame, "sender " + problem, cmid);
  if (!optional_string(doc, "message", cmd.text))
    return refuse(errc::bad_frame, "message must be a string", cmid);
  if (cmd.kind == command_kind::message) {
    if (cmd.text.empty())
      return refuse(errc::bad_frame, "message is required", cmid);
    if (utf8_length(cmd.text) > limits.max_message_chars)
      return refuse(errc::message_too_long,
                    "message is longer than "
                      + std::to_string(limits.max_message_chars)
                      + " characters",
                    cmid);
  } else {
    cmd.text.clear(); // ENTER/EXIT texts are made by the server
  }
  if (auto i = doc.find("lastSeq"); i != doc.end() && !i->is_null()) {
    if (i->is_number_unsigned())
      cmd.last_seq = static_cast<std::int64_t>(
        std::min<std::uint64_t>(i->get<std::uint64_t>(), INT64_MAX));
    else if (i->is_number_integer() && i->get<std::int64_t>() >= 0)
      cmd.last_seq = i->get<std::int64_t>();
    else
      return refuse(errc::bad_frame, "lastSeq must be a non-negative integer",
                    cmid);
  }
  return cmd;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  auto flush_from = s.begin();
  for (auto i = s.begin(); i != s.end(); ++i) {
    auto c = static_cast<unsigned char>(*i);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(flush_from, i);
    flush_from = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(flush_from, s.end());
  out += '"';
}

std::string_view kind_name(event_kind k) {
  switch (k) {
    case event_kind::enter:
      return "ENTER";
    case event_kind::exit:
      return "EXIT";
    case event_kind::message:
      break;
  }
  return "MESSAGE";
}

std::string format_timestamp(std::int64_t ms) {
  // RFC 3339 has four-digit years: clamp to 0000..9999 (also keeps the
  // arithmetic below far from overflow).
  constexpr std::int64_t first_ms = -62167219200000; // 0000-01-01T00:00:00Z
  constexpr std::int64_t last_ms = 253402300799999;  // 9999-12-31T23:59:59.999Z
  ms = std::clamp(ms, first_ms, last_ms);
  auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  auto millis = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  auto n = std::snprintf(
    buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string encode_event(const room_event& ev) {
  std::string out;
  out.reserve(128 + ev.text.size() + ev.sender.size() + ev.room_id.size());
  out += "{\"type\":\"";
  out += kind_name(ev.kind);
  out += "\",\"roomId\":";
  append_json_string(out, ev.room_id);
  out += ",\"sender\":";
  append_json_string(out, ev.sender);
  if (ev.sender_id != 0) {
    out += ",\"senderId\":";
    append_int(out, ev.sender_id);
  }
  out += ",\"message\":";
  append_json_string(out, ev.text);
  out += ",\"seq\":";
  append_uint(out, ev.seq);
  out += ",\"ts\":\"";
  out += format_timestamp(ev.ts_ms);
  out += '"';
  if (!ev.client_msg_id.empty()) {
    out += ",\"clientMsgId\":";
    append_json_string(out, ev.client_msg_id);
  }
  out += '}';
  return out;
}

std::string encode_ack(std::string_view room_id, std::string_view client_msg_id,
                       std::uint64_t seq) {
  std::string out;
  out.reserve(64 + room_id.size() + client_msg_id.size());
  out += "{\"type\":\"ACK\",\"roomId\":";
  append_json_string(out, room_id);
  out += ",\"clientMsgId\":";
  append_json_string(out, client_msg_id);
  out += ",\"seq\":";
  append_uint(out, seq);
  out += '}';
  return out;
}

std::string encode_error(errc code, std::string_view message,
                         std::string_view client_msg_id) {
  std::string out;
  out += "{\"type\":\"ERROR\",\"code\":";
  append_json_string(out, describe(code).code);
  out += ",\"message\":";
  append_client_text(out, message, max_error_message);
  if (!client_msg_id.empty()) {
    out += ",\"clientMsgId\":";
    append_client_text(out, client_msg_id, max_echoed_id);
  }
  out += '}';
  return out;
}

} // namespace h2h::net
