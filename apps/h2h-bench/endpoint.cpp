// Where h2h-bench connects: ws:// URLs, the loopback rule, source addresses,
// tokens.
#include "endpoint.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>

namespace h2h::bench {

namespace {

std::string quoted(std::string_view s) {
  return "'" + std::string{s} + "'";
}

} // namespace

std::optional<std::string> parse_ws_url(std::string_view text, ws_url& out) {
  constexpr std::string_view scheme = "ws://";
  if (text.rfind("wss://", 0) == 0)
    return "wss:// is not supported (use ws://)";
  if (text.rfind(scheme, 0) != 0)
    return "expected a ws:// URL, got " + quoted(text);
  auto rest = text.substr(scheme.size());
  auto slash = rest.find_first_of("/?");
  auto authority = rest.substr(0, slash);
  ws_url u;
  if (slash != rest.npos) {
    u.target = std::string{rest.substr(slash)};
    if (u.target.front() == '?')
      u.target.insert(0, "/");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == authority.npos)
      return "unterminated [ in " + quoted(text);
    u.host = std::string{authority.substr(1, close - 1)};
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return "unexpected text after ] in " + quoted(text);
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string{authority.substr(0, colon)};
    if (colon != authority.npos)
      port_text = authority.substr(colon + 1);
  }
  if (u.host.empty())
    return "no host in " + quoted(text);
  if (!port_text.empty() || authority.back() == ':') {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(),
                                     port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size()
        || port_text.empty() || port < 1 || port > 65535)
      return "bad port " + quoted(port_text) + " (1..65535)";
    u.port = static_cast<std::uint16_t>(port);
  }
  out = std::move(u);
  return std::nullopt;
}

bool is_loopback_host(std::string_view host) {
  std::string h{host};
  std::transform(h.begin(), h.end(), h.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (h == "localhost")
    return true;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::optional<std::string> parse_source_range(std::string_view text,
                                              std::vector<std::string>& out) {
  auto dash = text.find('-');
  std::string first{text.substr(0, dash)};
  std::string last{dash == text.npos ? first
                                     : std::string{text.substr(dash + 1)}};
  in_addr a{}, b{};
  if (inet_pton(AF_INET, first.c_str(), &a) != 1
      || inet_pton(AF_INET, last.c_str(), &b) != 1)
    return "expected IPv4 A.B.C.D or A.B.C.D-A.B.C.E, got " + quoted(text);
  auto lo = ntohl(a.s_addr);
  auto hi = ntohl(b.s_addr);
  if (hi < lo)
    return "range " + quoted(text) + " runs backwards";
  if (hi - lo >= 4096)
    return "range " + quoted(text) + " has more than 4096 addresses";
  for (auto x = lo;; ++x) {
    in_addr cur{};
    cur.s_addr = htonl(x);
    char buf[INET_ADDRSTRLEN];
    out.emplace_back(inet_ntop(AF_INET, &cur, buf, sizeof(buf)));
    if (x == hi)
      break;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> load_tokens(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return std::nullopt;
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      tokens.push_back(line);
  }
  return tokens;
}

std::string target_with_token(std::string_view target, std::string_view token) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out{target};
  out += target.find('?') == target.npos ? '?' : '&';
  out += "access_token=";
  for (unsigned char c : token) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

} // namespace h2h::bench
