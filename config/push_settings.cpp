// The rules of the push.* keys.
#include "config/push_settings.hpp"

namespace h2h::config {

std::optional<std::string> push_url_problem(std::string_view url) {
  constexpr std::string_view https = "https://";
  constexpr std::string_view http = "http://";
  std::string_view rest;
  if (url.substr(0, https.size()) == https)
    rest = url.substr(https.size());
  else if (url.substr(0, http.size()) == http)
    rest = url.substr(http.size());
  else
    return std::string{"must start with https:// (or http:// to a loopback "
                       "host)"};
  auto host_end = rest.find_first_of(":/?#");
  std::string_view host = rest.substr(0, host_end);
  if (!rest.empty() && rest[0] == '[')
    host = rest.substr(0, rest.find(']') + 1);
  if (host.empty() || host.find('@') != std::string_view::npos)
    return std::string{"has no plain host name"};
  if (url.substr(0, http.size()) == http && host != "127.0.0.1"
      && host != "localhost" && host != "[::1]")
    return std::string{"http:// is allowed only to 127.0.0.1, localhost or "
                       "[::1] (an access token would travel in plain text)"};
  return std::nullopt;
}

void validate_push(const settings& s, std::vector<std::string>& errs) {
  auto check = [&errs](bool ok, std::string problem) {
    if (!ok)
      errs.push_back(std::move(problem));
  };
  const auto& p = s.push;
  if (auto why = push_url_problem(p.fcm_endpoint))
    errs.push_back("push.fcm_endpoint " + *why);
  if (!p.fcm_token_uri.empty())
    if (auto why = push_url_problem(p.fcm_token_uri))
      errs.push_back("push.fcm_token_uri " + *why);
  check(p.coalesce_ms >= 0 && p.coalesce_ms <= 600000,
        "push.coalesce_ms must be between 0 and 600000");
  check(p.ttl_s >= 0 && p.ttl_s <= 2419200,
        "push.ttl_s must be between 0 and 2419200 (FCM's 28 days)");
  check(p.queue_max >= 1 && p.queue_max <= 10000000,
        "push.queue_max must be between 1 and 10000000");
  check(p.max_in_flight >= 1 && p.max_in_flight <= 10000,
        "push.max_in_flight must be between 1 and 10000");
  check(p.max_retries >= 0 && p.max_retries <= 100,
        "push.max_retries must be between 0 and 100");
  check(p.backoff_ms >= 1 && p.backoff_max_ms >= p.backoff_ms
          && p.backoff_max_ms <= 3600000,
        "push.backoff_ms must be at least 1 and at most push.backoff_max_ms "
        "(at most 3600000)");
  check(p.timeout_ms >= 100 && p.timeout_ms <= 600000,
        "push.timeout_ms must be between 100 and 600000");
}

} // namespace h2h::config
