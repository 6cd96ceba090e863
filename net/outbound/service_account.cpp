// A Google service account and the pure parts of the OAuth2 JWT-bearer
// exchange.
#include "net/outbound/service_account.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "net/outbound/rs256.hpp"
#include "net/security/crypto.hpp"

namespace h2h::net {

namespace {

using json = nlohmann::json;

/// Refresh this long before the provider's expiry (clock skew, latency).
constexpr std::int64_t refresh_margin_s = 60;

} // namespace

service_account_check parse_service_account(std::string_view json_text) {
  service_account_check out;
  auto& problems = out.problems;
  json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    problems.emplace_back("not a JSON object");
    return out;
  }
  auto field = [&](const char* name, std::string& into) {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_string() || it->get<std::string>().empty())
      problems.push_back(std::string{"missing or empty \""} + name + "\"");
    else
      into = it->get<std::string>();
  };
  field("client_email", out.account.client_email);
  field("private_key", out.account.private_key);
  field("token_uri", out.account.token_uri);
  field("project_id", out.account.project_id);
  const auto& uri = out.account.token_uri;
  if (!uri.empty() && uri.rfind("https://", 0) != 0
      && uri.rfind("http://", 0) != 0)
    problems.push_back("\"token_uri\" is not an http(s) URL");
  const auto& project = out.account.project_id;
  if (std::any_of(project.begin(), project.end(), [](char c) {
        return !(std::isalnum(static_cast<unsigned char>(c)) || c == '-'
                 || c == '_' || c == '.' || c == ':');
      }))
    problems.push_back("\"project_id\" has characters a project id has not");
  if (!out.account.private_key.empty())
    if (auto why = rsa_private_key_problem(out.account.private_key))
      problems.push_back("\"private_key\": " + *why);
  return out;
}

service_account_check load_service_account(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    service_account_check out;
    out.problems.push_back("cannot read '" + path + "'");
    return out;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_service_account(text.str());
}

std::string assertion_header_json() {
  return json{{"alg", "RS256"}, {"typ", "JWT"}}.dump();
}

std::string assertion_claims_json(const service_account& sa,
                                  std::int64_t iat_s) {
  return json{{"iss", sa.client_email},
              {"scope", std::string{fcm_scope}},
              {"aud", sa.token_uri},
              {"iat", iat_s},
              {"exp", iat_s + assertion_lifetime_s}}
    .dump();
}

std::string make_assertion(const service_account& sa, std::int64_t iat_s) {
  auto signing_input = crypto::base64url(assertion_header_json()) + "."
                       + crypto::base64url(assertion_claims_json(sa, iat_s));
  auto sig = rs256_sign(sa.private_key, signing_input);
  return signing_input + "." + crypto::base64url(sig);
}

std::string token_request_body(const std::string& assertion) {
  // The assertion is base64url and dots: nothing to escape.
  return "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
         "&assertion="
         + assertion;
}

std::optional<access_token> parse_token_response(std::string_view body,
                                                 std::int64_t now_ms,
                                                 std::string& why) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    why = "token answer is not a JSON object";
    return std::nullopt;
  }
  auto tok = doc.find("access_token");
  if (tok == doc.end() || !tok->is_string()
      || tok->get<std::string>().empty()) {
    why = "token answer has no access_token";
    return std::nullopt;
  }
  std::int64_t expires_in = 3600; // RFC 6749: recommended, not required
  if (auto e = doc.find("expires_in"); e != doc.end()) {
    if (!e->is_number_integer() || e->get<std::int64_t>() <= 0) {
      why = "token answer has a bad expires_in";
      return std::nullopt;
    }
    expires_in = e->get<std::int64_t>();
  }
  // A short-lived token is used for half its life rather than not at all.
  auto margin = std::min(refresh_margin_s, expires_in / 2);
  return access_token{tok->get<std::string>(),
                      now_ms + (expires_in - margin) * 1000};
}

} // namespace h2h::net
