// Where h2h-bench connects: ws:// URLs, the loopback rule, source addresses,
// tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace h2h::bench {

/// A parsed ws:// URL.
struct ws_url {
  std::string host; ///< without IPv6 brackets
  std::uint16_t port = 80;
  std::string target = "/"; ///< path and query
};

/// Parses ws://HOST[:PORT][/path]; returns an error text on failure.
std::optional<std::string> parse_ws_url(std::string_view text, ws_url& out);

/// True for localhost, 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string_view host);

/// Expands "A.B.C.D-A.B.C.E" (or one address) into dotted IPv4 addresses.
std::optional<std::string> parse_source_range(std::string_view text,
                                              std::vector<std::string>& out);

/// Reads one token per line (blank lines skipped, CR stripped).
std::optional<std::vector<std::string>> load_tokens(const std::string& path);

/// `target` with `access_token=<token>` appended as a query parameter.
std::string target_with_token(std::string_view target, std::string_view token);

} // namespace h2h::bench
