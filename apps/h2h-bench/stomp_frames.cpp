// STOMP 1.2 for the load generator (--proto stomp): the client frames it
// sends into reused buffers, and an incremental reader of the server's
// frames.
#include "stomp_frames.hpp"

#include <charconv>

namespace h2h::bench {

namespace {

/// `line` without its trailing CR (STOMP 1.2 allows CRLF as EOL).
std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  return line;
}

void append_room(std::string& out, std::string_view room_prefix,
                 std::size_t room) {
  out.append(room_prefix);
  out.append(std::to_string(room));
}

} // namespace

void build_stomp_connect(std::string& out, std::string_view token,
                         std::string_view login) {
  out.clear();
  out.append("CONNECT\naccept-version:1.2\nhost:h2h\nheart-beat:0,0\n");
  if (!token.empty()) {
    out.append("Authorization:Bearer ");
    out.append(token);
    out.push_back('\n');
  }
  if (!login.empty()) {
    out.append("login:");
    out.append(login);
    out.push_back('\n');
  }
  out.append("\n");
  out.push_back('\0');
}

void build_stomp_subscribe(std::string& out, std::string_view room_prefix,
                           std::size_t room) {
  out.clear();
  out.append("SUBSCRIBE\nid:0\ndestination:/subscribe/room/");
  append_room(out, room_prefix, room);
  out.append("\nreceipt:");
  out.append(stomp_subscribe_receipt);
  out.append("\n\n");
  out.push_back('\0');
}

void build_stomp_send(std::string& out, std::string_view room_prefix,
                      std::size_t room, const payload& p, std::size_t size,
                      std::string_view run_tag, bool named) {
  out.clear();
  out.append("SEND\ndestination:");
  out.append(stomp_publish_destination);
  out.append("\ncontent-type:application/json\nreceipt:");
  out.append(std::to_string(p.publisher));
  out.push_back('-');
  out.append(std::to_string(p.seq));
  out.push_back('-');
  out.append(run_tag);
  out.append("\n\n{\"type\":\"TALK\",\"roomId\":\"");
  append_room(out, room_prefix, room);
  if (named) {
    out.append("\",\"sender\":\"p");
    out.append(std::to_string(p.publisher));
  }
  out.append("\",\"message\":\"");
  append_payload(out, p, size);
  out.append("\"}");
  out.push_back('\0');
}

std::optional<std::string_view>
stomp_frame_view::header(std::string_view name) const {
  std::string_view rest = headers;
  while (!rest.empty()) {
    auto eol = rest.find('\n');
    auto line = strip_cr(rest.substr(0, eol));
    rest = eol == std::string_view::npos ? std::string_view{}
                                         : rest.substr(eol + 1);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && line.substr(0, colon) == name)
      return line.substr(colon + 1);
  }
  return std::nullopt;
}

std::size_t stomp_frame_reader::one_frame(std::string_view data,
                                          stomp_frame_view& f) {
  auto eol = data.find('\n');
  if (eol == std::string_view::npos)
    return 0;
  f.command = strip_cr(data.substr(0, eol));
  auto headers_start = eol + 1;
  auto pos = headers_start;
  // Header lines up to the blank line that ends them.
  for (;;) {
    auto next = data.find('\n', pos);
    if (next == std::string_view::npos)
      return 0;
    if (strip_cr(data.substr(pos, next - pos)).empty()) {
      f.headers = data.substr(headers_start, pos - headers_start);
      pos = next + 1;
      break;
    }
    pos = next + 1;
  }
  if (auto length = f.header("content-length")) {
    std::size_t n = 0;
    auto [end, ec]
      = std::from_chars(length->data(), length->data() + length->size(), n);
    if (ec != std::errc{} || end != length->data() + length->size()) {
      error_ = "bad content-length '" + std::string{*length} + "'";
      return 0;
    }
    if (n > max_frame_) {
      error_ = "content-length " + std::to_string(n) + " over the limit";
      return 0;
    }
    if (data.size() - pos < n + 1)
      return 0;
    if (data[pos + n] != '\0') {
      error_ = "no NUL after content-length bytes";
      return 0;
    }
    f.body = data.substr(pos, n);
    return pos + n + 1;
  }
  auto nul = data.find('\0', pos);
  if (nul == std::string_view::npos)
    return 0;
  f.body = data.substr(pos, nul - pos);
  return nul + 1;
}

} // namespace h2h::bench
