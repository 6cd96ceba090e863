// Node records as the one-line text stored under a registry key, and back.
#include "persistence/registry/node_registry.hpp"

#include <charconv>
#include <limits>
#include <utility>

namespace h2h {

namespace {

constexpr std::size_t max_host = 255;
// A value longer than this is not ours; refuse it before splitting it.
constexpr std::size_t max_text = 1024;

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Printable ASCII without the space: the line format splits on spaces.
bool host_char(char c) {
  return c > ' ' && c < 0x7f;
}

bool valid_host(std::string_view h) {
  if (h.empty() || h.size() > max_host)
    return false;
  for (char c : h)
    if (!host_char(c))
      return false;
  return true;
}

template <class T>
bool parse_int(std::string_view s, T& out) {
  if (s.empty())
    return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

bool parse_port(std::string_view s, std::uint16_t& out) {
  unsigned v = 0;
  if (!parse_int(s, v) || v > std::numeric_limits<std::uint16_t>::max())
    return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

} // namespace

bool operator==(const node_record& x, const node_record& y) {
  return x.id == y.id && x.host == y.host && x.cluster_port == y.cluster_port
         && x.public_port == y.public_port && x.admin_port == y.admin_port
         && x.metrics_port == y.metrics_port && x.started_ms == y.started_ms
         && x.leaving == y.leaving;
}

bool operator!=(const node_record& x, const node_record& y) {
  return !(x == y);
}

std::string node_key(std::string_view prefix, std::string_view id) {
  std::string out{prefix};
  out += ":node:";
  out += id;
  return out;
}

std::string nodes_channel(std::string_view prefix) {
  std::string out{prefix};
  out += ":nodes";
  return out;
}

bool valid_node_id(std::string_view id) {
  if (id.empty() || id.size() > 64)
    return false;
  for (char c : id)
    if (!id_char(c))
      return false;
  return true;
}

std::optional<std::string> node_record_problem(const node_record& rec) {
  if (!valid_node_id(rec.id))
    return "node id must be 1 to 64 of A-Z a-z 0-9 . _ -";
  if (!valid_host(rec.host))
    return "advertised host must be 1 to 255 printable characters without "
           "spaces";
  if (rec.started_ms < 0)
    return "start time must not be negative";
  return std::nullopt;
}

std::string encode_node(const node_record& rec) {
  if (auto why = node_record_problem(rec))
    throw std::invalid_argument("node record: " + *why);
  std::string out = "v1 id=" + rec.id;
  out += " host=" + rec.host;
  out += " cluster=" + std::to_string(rec.cluster_port);
  out += " public=" + std::to_string(rec.public_port);
  out += " admin=" + std::to_string(rec.admin_port);
  out += " metrics=" + std::to_string(rec.metrics_port);
  out += " started=" + std::to_string(rec.started_ms);
  if (rec.leaving)
    out += " leaving=1";
  return out;
}

std::optional<node_record> decode_node(std::string_view text) {
  if (text.size() > max_text || text.substr(0, 3) != "v1 ")
    return std::nullopt;
  text.remove_prefix(3);
  node_record rec;
  enum field { id, host, cluster, pub, admin, metrics, started, count };
  bool seen[count] = {};
  bool seen_leaving = false; // optional: absent means "not leaving"
  auto mark = [&](field f) {
    if (seen[f])
      return false; // a field twice: which one would be true?
    seen[f] = true;
    return true;
  };
  for (bool more = true; more;) {
    auto sp = text.find(' ');
    auto token = text.substr(0, sp);
    more = sp != std::string_view::npos; // a trailing space: an empty token
    text = more ? text.substr(sp + 1) : std::string_view{};
    auto eq = token.find('=');
    if (token.empty() || eq == std::string_view::npos || eq == 0)
      return std::nullopt;
    auto key = token.substr(0, eq);
    auto val = token.substr(eq + 1);
    bool ok = true;
    if (key == "id") {
      ok = mark(id) && valid_node_id(val);
      rec.id = std::string{val};
    } else if (key == "host") {
      ok = mark(host) && valid_host(val);
      rec.host = std::string{val};
    } else if (key == "cluster") {
      ok = mark(cluster) && parse_port(val, rec.cluster_port);
    } else if (key == "public") {
      ok = mark(pub) && parse_port(val, rec.public_port);
    } else if (key == "admin") {
      ok = mark(admin) && parse_port(val, rec.admin_port);
    } else if (key == "metrics") {
      ok = mark(metrics) && parse_port(val, rec.metrics_port);
    } else if (key == "started") {
      ok = mark(started) && parse_int(val, rec.started_ms)
           && rec.started_ms >= 0;
    } else if (key == "leaving") {
      ok = !std::exchange(seen_leaving, true) && (val == "0" || val == "1");
      rec.leaving = val == "1";
    }
    if (!ok)
      return std::nullopt;
  }
  for (bool s : seen)
    if (!s)
      return std::nullopt;
  return rec;
}

} // namespace h2h
