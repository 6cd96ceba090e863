// Bench payloads and frames: encode into reused buffers, decode by string
// search.
#include "payload.hpp"

#include <charconv>
#include <cstdio>
#include <random>

namespace h2h::bench {

namespace {

template <class T>
void append_number(std::string& out, T value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, res.ptr);
}

/// Parses digits up to `stop`; advances `pos` past the stop character.
template <class T>
bool read_number(std::string_view text, std::size_t& pos, char stop, T& out) {
  auto end = text.find(stop, pos);
  if (end == text.npos || end == pos)
    return false;
  auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + end, out);
  if (ec != std::errc{} || ptr != text.data() + end)
    return false;
  pos = end + 1;
  return true;
}

void append_room(std::string& out, std::string_view prefix, std::size_t room) {
  out += prefix;
  append_number(out, room);
}

} // namespace

void append_payload(std::string& out, const payload& p, std::size_t size) {
  auto start = out.size();
  out += 'B';
  append_number(out, p.publisher);
  out += '.';
  append_number(out, p.seq);
  out += '.';
  append_number(out, p.send_ns);
  out += '.';
  auto used = out.size() - start;
  if (used < size)
    out.append(size - used, 'x');
}

std::optional<payload> decode_payload(std::string_view text) {
  if (text.empty() || text.front() != 'B')
    return std::nullopt;
  payload p;
  std::size_t pos = 1;
  if (!read_number(text, pos, '.', p.publisher)
      || !read_number(text, pos, '.', p.seq)
      || !read_number(text, pos, '.', p.send_ns))
    return std::nullopt;
  return p;
}

void build_h2h_message(std::string& out, std::string_view room_prefix,
                       std::size_t room, const payload& p, std::size_t size,
                       std::string_view run_tag, bool named) {
  out.clear();
  out += R"({"type":"MESSAGE","roomId":")";
  append_room(out, room_prefix, room);
  if (named) {
    out += R"(","sender":"p)";
    append_number(out, p.publisher);
  }
  out += R"(","message":")";
  append_payload(out, p, size);
  out += R"(","clientMsgId":")";
  append_number(out, p.publisher);
  out += '-';
  append_number(out, p.seq);
  if (!run_tag.empty()) {
    out += '-';
    out += run_tag;
  }
  out += R"("})";
}

void build_plain_message(std::string& out, std::string_view room_prefix,
                         std::size_t room, const payload& p, std::size_t size) {
  out.clear();
  out += R"({"type":"msg","room":")";
  append_room(out, room_prefix, room);
  out += R"(","text":")";
  append_payload(out, p, size);
  out += R"("})";
}

void build_h2h_enter(std::string& out, std::string_view room_prefix,
                     std::size_t room, std::size_t conn, bool named) {
  out.clear();
  out += R"({"type":"ENTER","roomId":")";
  append_room(out, room_prefix, room);
  if (named) {
    out += R"(","sender":"c)";
    append_number(out, conn);
  }
  out += R"("})";
}

void build_plain_join(std::string& out, std::string_view room_prefix,
                      std::size_t room) {
  out.clear();
  out += R"({"type":"join","room":")";
  append_room(out, room_prefix, room);
  out += R"("})";
}

std::optional<std::string_view> find_string_field(std::string_view json,
                                                  std::string_view key) {
  std::size_t from = 0;
  while (from < json.size()) {
    auto at = json.find(key, from);
    if (at == json.npos)
      return std::nullopt;
    from = at + key.size();
    // The key must be a whole quoted name followed by ':' and a string.
    if (at == 0 || json[at - 1] != '"' || from >= json.size()
        || json[from] != '"')
      continue;
    auto pos = from + 1;
    while (pos < json.size() && (json[pos] == ' ' || json[pos] == '\t'))
      ++pos;
    if (pos >= json.size() || json[pos] != ':')
      continue;
    ++pos;
    while (pos < json.size() && (json[pos] == ' ' || json[pos] == '\t'))
      ++pos;
    if (pos >= json.size() || json[pos] != '"')
      continue;
    auto begin = ++pos;
    while (pos < json.size() && json[pos] != '"')
      pos += json[pos] == '\\' ? 2 : 1;
    if (pos >= json.size())
      return std::nullopt; // unterminated
    return json.substr(begin, pos - begin);
  }
  return std::nullopt;
}

std::optional<payload> parse_client_msg_id(std::string_view id) {
  payload p;
  std::size_t pos = 0;
  if (!read_number(id, pos, '-', p.publisher) || pos >= id.size())
    return std::nullopt;
  auto end = id.data() + id.size();
  auto [ptr, ec] = std::from_chars(id.data() + pos, end, p.seq);
  if (ec != std::errc{} || ptr == id.data() + pos
      || (ptr != end && *ptr != '-'))
    return std::nullopt;
  return p;
}

std::string make_run_tag() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(rd()));
  return buf;
}

} // namespace h2h::bench
