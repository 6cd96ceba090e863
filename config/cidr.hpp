// IP addresses and address ranges (CIDR) as configuration values, e.g.
// server.trusted_proxies; pure, shared by validation and the server.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace h2h::config {

/// An IP address as 16 bytes; IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so
/// that an IPv4 client is the same whichever socket family it arrived on.
using ip_bytes = std::array<std::uint8_t, 16>;

/// True for ::ffff:a.b.c.d (an IPv4 address).
bool is_v4(const ip_bytes& ip);

/// Parses `1.2.3.4`, `2001:db8::1` or `[2001:db8::1]`; nothing else (no
/// ports, no zone ids, no host names).
std::optional<ip_bytes> parse_ip(std::string_view text);

/// The canonical text: dotted quad for IPv4, RFC 5952 for IPv6.
std::string ip_text(const ip_bytes& ip);

/// An address range: the first `prefix` bits of `net` (0..128; an IPv4 range
/// a.b.c.d/n is stored as the mapped range with prefix 96 + n).
struct cidr {
  ip_bytes net{};
  int prefix = 128;

  bool contains(const ip_bytes& ip) const;
};

/// Parses `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32`, `::1`; host bits
/// beyond the prefix must be zero (a typo guard).
std::optional<cidr> parse_cidr(std::string_view text);

/// Parses a list separated by commas and/or spaces; every entry that is
/// not a valid address or range adds a problem to `problems`.
std::vector<cidr> parse_cidr_list(std::string_view text,
                                  std::vector<std::string>& problems);

} // namespace h2h::config
