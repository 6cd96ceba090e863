// The rules of the push.* keys (FCM): numbers in range, and URLs that never
// carry an OAuth2 token in plain text off this machine.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace h2h::config {

/// Why `url` cannot be an FCM or OAuth2 URL: https://, or http:// to
/// 127.0.0.1, localhost or [::1] only. Nothing when it can.
std::optional<std::string> push_url_problem(std::string_view url);

/// Appends every problem of the push.* keys to `errors` (the credentials
/// file itself is read and checked at start-up, by h2hd).
void validate_push(const settings& s, std::vector<std::string>& errors);

} // namespace h2h::config
