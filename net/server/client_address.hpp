// Who the client of a request is: the peer's address, or behind a trusted
// proxy the address it forwarded; and the key per-address limits count by.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"
#include "net/http/http_types.hpp"

namespace h2h::net {

using config::ip_bytes;

/// The key per-address limits count under: the IPv4 address (also when it
/// arrived IPv4-mapped on an IPv6 socket), or the /64 of an IPv6 address,
/// since one subscriber usually holds a whole /64.
std::string address_key(const ip_bytes& ip);

/// The key the login/code limiters count a request's client under, from
/// request_meta::peer: its address_key, or the text itself if it is none.
std::string limit_key(std::string_view peer);

/// Which header a trusted proxy writes the client address into.
enum class forwarded_from {
  /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, most ingresses).
  x_forwarded_for,
  /// RFC 7239 `Forwarded: for=client, for="[2001:db8::1]:443"`.
  forwarded,
};

/// The proxies whose forwarding headers are believed; empty: nobody's.
struct proxy_trust {
  std::vector<config::cidr> proxies;
  forwarded_from header = forwarded_from::x_forwarded_for;

  bool trusts(const ip_bytes& ip) const;
};

/// One hop of a forwarding header; nullopt when it names no address
/// (`unknown`, an obfuscated name, garbage).
using hop = std::optional<ip_bytes>;

/// The hops of every X-Forwarded-For value, in order (the original client
/// first). Entries may carry a port (`1.2.3.4:80`, `[::1]:80`).
std::vector<hop> x_forwarded_for_hops(const std::vector<std::string_view>& v);

/// The `for=` hops of every Forwarded value (RFC 7239), in order; an
/// element without `for=` is a hop without an address.
std::vector<hop> forwarded_hops(const std::vector<std::string_view>& v);

/// The client behind `peer`: the peer itself unless it is a trusted proxy;
/// then, from the right, the first hop that is not a trusted proxy. A hop
/// that names no address stops the walk at the last trusted address (what
/// lies left of it cannot be checked); when every hop is trusted, the
/// leftmost one.
ip_bytes client_address(const ip_bytes& peer, const std::vector<hop>& hops,
                        const proxy_trust& trust);

/// The same for a request: reads the header `trust.header` names, only when
/// `peer` is trusted (otherwise the headers are ignored entirely).
ip_bytes client_address(const ip_bytes& peer, const http_request& req,
                        const proxy_trust& trust);

} // namespace h2h::net
