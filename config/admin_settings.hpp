// The rules of the admin.* keys (the admin port, docs/admin.md), and the
// loopback test that both the loader and the admin port judge addresses by.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace h2h::config {

/// True for an address in 127.0.0.0/8 or ::1 (also IPv4-mapped,
/// ::ffff:127.x.y.z, and bracketed, [::1]); false for anything else,
/// host names and wildcards (0.0.0.0, ::) included.
bool is_loopback_address(std::string_view text);

/// Appends every problem of the admin.* keys to `errors`. Never repeats
/// the token.
void validate_admin(const settings& s, std::vector<std::string>& errors);

} // namespace h2h::config
