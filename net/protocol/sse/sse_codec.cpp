// Server-Sent Events (DESIGN.md §2.3), pure: opening request, head, events.
#include "net/protocol/sse/sse_codec.hpp"

#include <charconv>
#include <limits>

#include "net/protocol/display_name.hpp"
#include "net/protocol/utf8.hpp"

namespace h2h::net {

namespace {

frame_error bad(std::string message) {
  return frame_error{errc::invalid_field, std::move(message), {}};
}

/// A seq as a client sends it back: decimal digits, within int64.
bool read_seq(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 19)
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

} // namespace

std::variant<sse_open, frame_error> parse_sse_open(const sse_request_parts& in,
                                                   const codec_limits& limits) {
  sse_open out;
  if (!valid_room_id(in.room_id, limits.max_room_id))
    return bad("roomId must be 1 to " + std::to_string(limits.max_room_id)
               + " letters, digits, '-' or '_'");
  out.room_id = std::string{in.room_id};
  std::string_view resume = in.last_event_id;
  if (resume.empty() && in.query_last_event_id)
    resume = *in.query_last_event_id;
  if (!resume.empty() && !read_seq(resume, out.last_seq))
    return bad("Last-Event-ID must be a seq (a non-negative integer)");
  if (in.query_sender) {
    const auto& s = *in.query_sender;
    if (s.empty() || !valid_utf8(s) || utf8_length(s) > limits.max_sender)
      return bad("sender must have 1 to " + std::to_string(limits.max_sender)
                 + " characters");
    if (auto problem = display_name_problem(s); !problem.empty())
      return bad("sender " + problem);
    out.sender = s;
  }
  return out;
}

const std::string& sse_head() {
  static const std::string head = "HTTP/1.1 200 OK\r\n"
                                  "Server: h2h\r\n"
                                  "Content-Type: text/event-stream\r\n"
                                  "Cache-Control: no-cache\r\n"
                                  "X-Accel-Buffering: no\r\n"
                                  "Connection: close\r\n"
                                  "\r\n";
  return head;
}

std::string encode_sse_event(const room_event& ev) {
  // The JSON of §2.1 escapes every control character: it is one line.
  auto data = encode_event(ev);
  auto type = kind_name(ev.kind);
  std::string out;
  out.reserve(data.size() + type.size() + 40);
  out += "id: ";
  out += std::to_string(ev.seq);
  out += "\nevent: ";
  out += type;
  out += "\ndata: ";
  out += data;
  out += "\n\n";
  return out;
}

std::string encode_sse_error(errc code, std::string_view message) {
  return "event: error\ndata: " + encode_error(code, message, {}) + "\n\n";
}

const std::string& sse_keepalive() {
  static const std::string line = ": keep-alive\n\n";
  return line;
}

} // namespace h2h::net
