// IP addresses and address ranges (CIDR) as configuration values; pure.
#include "config/cidr.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace h2h::config {

namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0,    0,
                                                        0, 0, 0, 0, 0xff, 0xff};

} // namespace

bool is_v4(const ip_bytes& ip) {
  for (std::size_t i = 0; i < v4_mapped_prefix.size(); ++i)
    if (ip[i] != v4_mapped_prefix[i])
      return false;
  return true;
}

std::optional<ip_bytes> parse_ip(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  // Longest IPv6 text: 45 characters (IPv4-mapped, fully written out).
  if (text.empty() || text.size() > 45)
    return std::nullopt;
  char buf[46];
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  ip_bytes out{};
  if (text.find(':') == std::string_view::npos) {
    std::uint8_t v4[4];
    if (inet_pton(AF_INET, buf, v4) != 1)
      return std::nullopt;
    for (std::size_t i = 0; i < v4_mapped_prefix.size(); ++i)
      out[i] = v4_mapped_prefix[i];
    for (std::size_t i = 0; i < 4; ++i)
      out[12 + i] = v4[i];
    return out;
  }
  if (inet_pton(AF_INET6, buf, out.data()) != 1)
    return std::nullopt;
  return out;
}

std::string ip_text(const ip_bytes& ip) {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4(ip))
    inet_ntop(AF_INET, ip.data() + 12, buf, sizeof(buf));
  else
    inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf));
  return buf;
}

bool cidr::contains(const ip_bytes& ip) const {
  int bits = prefix;
  for (std::size_t i = 0; i < ip.size() && bits > 0; ++i, bits -= 8) {
    auto mask = bits >= 8 ? std::uint8_t{0xff}
                          : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((ip[i] & mask) != (net[i] & mask))
      return false;
  }
  return true;
}

std::optional<cidr> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip)
    return std::nullopt;
  cidr out;
  out.net = *ip;
  // Written as IPv6 (also ::ffff:a.b.c.d/n): IPv6 prefix lengths.
  int max_bits
    = text.substr(0, slash).find(':') == std::string_view::npos ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    auto len = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
    if (len.empty() || ec != std::errc{} || end != len.data() + len.size()
        || bits < 0 || bits > max_bits)
      return std::nullopt;
  }
  out.prefix = bits + (max_bits == 32 ? 96 : 0);
  // Host bits must be zero: 10.0.0.1/8 is more likely a typo than a wish.
  for (int bit = out.prefix; bit < 128; ++bit)
    if (out.net[static_cast<std::size_t>(bit / 8)] & (0x80 >> (bit % 8)))
      return std::nullopt;
  return out;
}

std::vector<cidr> parse_cidr_list(std::string_view text,
                                  std::vector<std::string>& problems) {
  std::vector<cidr> out;
  auto is_sep = [](char c) { return c == ',' || c == ' ' || c == '\t'; };
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_sep(text[i]))
      ++i;
    auto start = i;
    while (i < text.size() && !is_sep(text[i]))
      ++i;
    if (start == i)
      break;
    auto item = text.substr(start, i - start);
    if (auto c = parse_cidr(item))
      out.push_back(*c);
    else
      problems.push_back("'" + std::string{item}
                         + "' is not an IP address or address/prefix");
  }
  return out;
}

} // namespace h2h::config
