// multipart/form-data parser (RFC 7578, RFC 2046 §5.1): whole body in,
// parts or one clear error out; no allocation past the given limits.
#include "net/http/multipart.hpp"

#include <cctype>
#include <utility>

namespace h2h::net::multipart {

namespace {

using param_list = std::vector<std::pair<std::string, std::string>>;

bool is_tchar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u) != 0)
    return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// RFC 2046 §5.1.1 bcharsnospace plus the space.
bool is_bchar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u) != 0)
    return true;
  switch (c) {
    case '\'':
    case '(':
    case ')':
    case '+':
    case '_':
    case ',':
    case '-':
    case '.':
    case '/':
    case ':':
    case '=':
    case '?':
    case ' ':
      return true;
    default:
      return false;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void skip_ows(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
}

std::string_view token_at(std::string_view s, std::size_t& i) {
  auto start = i;
  while (i < s.size() && is_tchar(s[i]))
    ++i;
  return s.substr(start, i - start);
}

// A token or a quoted-string (with quoted-pairs) at `i`.
bool value_at(std::string_view s, std::size_t& i, std::string& out) {
  out.clear();
  if (i < s.size() && s[i] == '"') {
    for (++i; i < s.size(); ++i) {
      auto c = s[i];
      if (c == '"') {
        ++i;
        return true;
      }
      if (c == '\\') {
        if (++i == s.size())
          return false;
        c = s[i];
      }
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f)
        return false;
      out.push_back(c);
    }
    return false;
  }
  auto t = token_at(s, i);
  if (t.empty())
    return false;
  out.assign(t);
  return true;
}

// `*( OWS ";" OWS name "=" value ) OWS` from `i` to the end; names lowered.
bool params_at(std::string_view s, std::size_t i, param_list& out) {
  for (;;) {
    skip_ows(s, i);
    if (i == s.size())
      return true;
    if (s[i] != ';')
      return false;
    ++i;
    skip_ows(s, i);
    if (i == s.size())
      return true; // a trailing ';' is common and harmless
    auto name = token_at(s, i);
    if (name.empty() || i == s.size() || s[i] != '=')
      return false;
    ++i;
    std::string v;
    if (!value_at(s, i, v))
      return false;
    out.emplace_back(lower(name), std::move(v));
  }
}

const std::string* param(const param_list& ps, std::string_view name) {
  for (auto& p : ps)
    if (p.first == name)
      return &p.second;
  return nullptr;
}

result fail(failure f, std::string why) {
  result r;
  r.error = f;
  r.message = std::move(why);
  return r;
}

// Reads one header line into `p`; false (with `why`) when it is invalid.
bool header_line(std::string_view line, part& p, bool& had_disposition,
                 std::optional<std::size_t>& length, std::string& why) {
  std::size_t i = 0;
  auto name = token_at(line, i);
  if (name.empty() || i == line.size() || line[i] != ':') {
    why = "a part header line is not 'name: value'";
    return false;
  }
  ++i;
  for (auto c : line.substr(i)) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      why = "a part header contains a control character";
      return false;
    }
  }
  skip_ows(line, i);
  auto end = line.size();
  while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\t'))
    --end;
  auto value = line.substr(i, end - i);
  auto key = lower(name);
  if (key == "content-disposition") {
    if (had_disposition) {
      why = "a part has two Content-Disposition headers";
      return false;
    }
    had_disposition = true;
    std::size_t j = 0;
    auto kind = token_at(value, j);
    param_list ps;
    if (lower(kind) != "form-data" || !params_at(value, j, ps)) {
      why = "a part's Content-Disposition is not form-data";
      return false;
    }
    auto* n = param(ps, "name");
    if (n == nullptr || n->empty()) {
      why = "a part has no name";
      return false;
    }
    p.name = *n;
    if (auto* f = param(ps, "filename"))
      p.filename = *f;
  } else if (key == "content-type") {
    p.content_type.assign(value);
  } else if (key == "content-length") {
    std::size_t n = 0;
    if (value.empty() || value.size() > 12) {
      why = "a part's Content-Length is not a number";
      return false;
    }
    for (auto c : value) {
      if (c < '0' || c > '9') {
        why = "a part's Content-Length is not a number";
        return false;
      }
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    length = n;
  }
  // Other headers (Content-Transfer-Encoding and the like) are ignored, as
  // RFC 7578 §4.7 lets a receiver do.
  return true;
}

} // namespace

const part* result::find(std::string_view name) const {
  for (auto& p : parts)
    if (p.name == name)
      return &p;
  return nullptr;
}

std::optional<std::string> boundary_of(std::string_view content_type) {
  std::size_t i = 0;
  skip_ows(content_type, i);
  auto type = token_at(content_type, i);
  if (i == content_type.size() || content_type[i] != '/')
    return std::nullopt;
  ++i;
  auto sub = token_at(content_type, i);
  if (lower(type) != "multipart" || lower(sub) != "form-data")
    return std::nullopt;
  param_list ps;
  if (!params_at(content_type, i, ps))
    return std::nullopt;
  auto* b = param(ps, "boundary");
  if (b == nullptr || b->empty() || b->size() > 70 || b->back() == ' ')
    return std::nullopt;
  for (auto c : *b)
    if (!is_bchar(c))
      return std::nullopt;
  return *b;
}

result parse(std::string_view content_type, std::string_view body,
             const limits& lim) {
  auto boundary = boundary_of(content_type);
  if (!boundary)
    return fail(failure::bad_content_type,
                "Content-Type must be multipart/form-data with a valid "
                "boundary");
  if (body.size() > lim.max_total_bytes)
    return fail(failure::too_large, "the multipart body is too large");
  const std::string delim = "--" + *boundary;
  const std::string inner = "\r\n" + delim;
  std::size_t p = 0;
  if (body.substr(0, delim.size()) == delim) {
    p = delim.size();
  } else {
    auto at = body.find(inner);
    if (at == std::string_view::npos)
      return fail(failure::malformed, "the body has no opening boundary");
    p = at + inner.size();
  }
  result out;
  for (;;) {
    // Just after a delimiter: "--" closes, else padding and CRLF.
    if (body.substr(p, 2) == "--") {
      if (out.parts.empty())
        return fail(failure::malformed, "the body has no parts");
      return out;
    }
    skip_ows(body, p);
    if (body.substr(p, 2) != "\r\n")
      return fail(failure::malformed, "a boundary line does not end in CRLF");
    p += 2;
    if (out.parts.size() == lim.max_parts)
      return fail(failure::too_large, "the body has too many parts");
    part cur;
    bool had_disposition = false;
    std::optional<std::size_t> length;
    auto headers_start = p;
    for (;;) {
      auto eol = body.find("\r\n", p);
      auto cap = headers_start + lim.max_header_bytes;
      if (eol == std::string_view::npos || eol + 2 > cap) {
        if (eol == std::string_view::npos && body.size() <= cap)
          return fail(failure::malformed, "a part's headers do not end");
        return fail(failure::too_large, "a part's headers are too large");
      }
      auto line = body.substr(p, eol - p);
      p = eol + 2;
      if (line.empty())
        break;
      std::string why;
      if (!header_line(line, cur, had_disposition, length, why))
        return fail(failure::malformed, why);
    }
    if (!had_disposition)
      return fail(failure::malformed, "a part has no Content-Disposition");
    // An empty body: the blank line's CRLF is the delimiter's own.
    std::size_t end = p;
    std::size_t next = p + delim.size();
    if (body.substr(p, delim.size()) != delim) {
      end = body.find(inner, p);
      if (end == std::string_view::npos)
        return fail(failure::malformed, "a part is not closed by a boundary");
      next = end + inner.size();
    }
    cur.body.assign(body.substr(p, end - p));
    if (length && *length != cur.body.size())
      return fail(failure::malformed,
                  "a part's Content-Length does not match its body");
    out.parts.push_back(std::move(cur));
    p = next;
  }
}

} // namespace h2h::net::multipart
