// Who the client of a request is: the peer's address, or behind a trusted
// proxy the address it forwarded; and the key per-address limits count by.
#include "net/server/client_address.hpp"

#include <algorithm>
#include <cctype>

namespace h2h::net {

namespace http = boost::beast::http;

std::string address_key(const ip_bytes& ip) {
  if (config::is_v4(ip))
    return config::ip_text(ip);
  ip_bytes net{};
  std::copy(ip.begin(), ip.begin() + 8, net.begin());
  return config::ip_text(net) + "/64";
}

std::string limit_key(std::string_view peer) {
  auto ip = config::parse_ip(peer);
  return ip ? address_key(*ip) : std::string{peer};
}

bool proxy_trust::trusts(const ip_bytes& ip) const {
  return std::any_of(proxies.begin(), proxies.end(),
                     [&ip](const config::cidr& c) { return c.contains(ip); });
}

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5
         && std::all_of(s.begin(), s.end(),
                        [](unsigned char c) { return std::isdigit(c); });
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`, `[::1]:80`.
hop parse_host_port(std::string_view s) {
  s = trim_ows(s);
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    auto rest = s.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1))))
      return std::nullopt;
    return config::parse_ip(s.substr(0, close + 1));
  }
  auto colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) == s.npos) {
    // One colon: IPv4 with a port.
    if (!all_digits(s.substr(colon + 1)))
      return std::nullopt;
    s = s.substr(0, colon);
    if (s.find('.') == std::string_view::npos)
      return std::nullopt;
  }
  return config::parse_ip(s);
}

/// Splits at `sep` outside double quotes.
std::vector<std::string_view> split_unquoted(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && quoted)
      ++i; // an escaped character inside quotes
    else if (s[i] == '"')
      quoted = !quoted;
    else if (s[i] == sep && !quoted) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(std::min(start, s.size())));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(),
                       [](unsigned char x, unsigned char y) {
                         return std::tolower(x) == std::tolower(y);
                       });
}

/// The address of one Forwarded element (`for=...;proto=...`).
hop forwarded_for(std::string_view element) {
  for (auto pair : split_unquoted(element, ';')) {
    auto eq = pair.find('=');
    if (eq == std::string_view::npos
        || !iequals(trim_ows(pair.substr(0, eq)), "for"))
      continue;
    auto value = trim_ows(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
      if (value.find('\\') != std::string_view::npos)
        return std::nullopt; // no address needs an escape
    }
    return parse_host_port(value);
  }
  return std::nullopt;
}

} // namespace

std::vector<hop> x_forwarded_for_hops(const std::vector<std::string_view>& v) {
  std::vector<hop> out;
  for (auto value : v)
    for (auto item : split_unquoted(value, ','))
      if (!trim_ows(item).empty())
        out.push_back(parse_host_port(item));
  return out;
}

std::vector<hop> forwarded_hops(const std::vector<std::string_view>& v) {
  std::vector<hop> out;
  for (auto value : v)
    for (auto element : split_unquoted(value, ','))
      if (!trim_ows(element).empty())
        out.push_back(forwarded_for(element));
  return out;
}

ip_bytes client_address(const ip_bytes& peer, const std::vector<hop>& hops,
                        const proxy_trust& trust) {
  auto client = peer;
  if (!trust.trusts(client))
    return client;
  for (auto i = hops.rbegin(); i != hops.rend(); ++i) {
    if (!*i)
      return client; // the last trusted hop
    client = **i;
    if (!trust.trusts(client))
      return client;
  }
  return client;
}

ip_bytes client_address(const ip_bytes& peer, const http_request& req,
                        const proxy_trust& trust) {
  if (!trust.trusts(peer))
    return peer;
  // Beast has no enum value for X-Forwarded-For; names match ignoring case.
  std::string_view name = trust.header == forwarded_from::forwarded
                            ? "Forwarded"
                            : "X-Forwarded-For";
  std::vector<std::string_view> values;
  for (auto [i, end] = req.equal_range(name); i != end; ++i)
    values.emplace_back(i->value().data(), i->value().size());
  auto hops = trust.header == forwarded_from::forwarded
                ? forwarded_hops(values)
                : x_forwarded_for_hops(values);
  return client_address(peer, hops, trust);
}

} // namespace h2h::net
