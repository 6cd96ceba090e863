// The push.* keys: environment names, URL rules (no token in plain text off
// the machine), ranges, every problem listed.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "config/loader.hpp"
#include "config/push_settings.hpp"

namespace cfg = h2h::config;

namespace {

cfg::env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

} // namespace

TEST(push_config, defaults_are_push_off_and_valid) {
  auto r = cfg::load({}, env_of({}));
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.values.push.fcm_credentials.empty());
  EXPECT_EQ(r.values.push.fcm_endpoint, "https://fcm.googleapis.com");
  EXPECT_TRUE(r.values.push.fcm_token_uri.empty());
}

TEST(push_config, design_key_names_and_environment) {
  auto r = cfg::load(
    {}, env_of({{"H2H_PUSH_FCM_CREDENTIALS", "/s/fcm.json"},
                {"H2H_PUSH_FCM_ENDPOINT", "http://127.0.0.1:9"},
                {"H2H_PUSH_FCM_TOKEN_URI", "http://localhost:9/token"},
                {"H2H_PUSH_COALESCE_MS", "250"}}));
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.values.push.fcm_credentials, "/s/fcm.json");
  EXPECT_EQ(r.values.push.fcm_endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(r.values.push.fcm_token_uri, "http://localhost:9/token");
  EXPECT_EQ(r.values.push.coalesce_ms, 250);
}

TEST(push_config, plain_http_only_to_loopback) {
  EXPECT_FALSE(cfg::push_url_problem("https://fcm.googleapis.com"));
  EXPECT_FALSE(cfg::push_url_problem("http://127.0.0.1:8/x"));
  EXPECT_FALSE(cfg::push_url_problem("http://[::1]:8"));
  EXPECT_TRUE(cfg::push_url_problem("http://fcm.example.org"));
  EXPECT_TRUE(cfg::push_url_problem("http://127.0.0.1.evil.example"));
  EXPECT_TRUE(cfg::push_url_problem("http://localhost@evil.example"));
  EXPECT_TRUE(cfg::push_url_problem("ftp://x"));
  EXPECT_TRUE(cfg::push_url_problem(""));
}

TEST(push_config, every_problem_is_listed) {
  cfg::settings s;
  s.push.fcm_endpoint = "http://fcm.example.org";
  s.push.fcm_token_uri = "file:///etc/passwd";
  s.push.queue_max = 0;
  s.push.max_in_flight = 0;
  s.push.backoff_ms = 5000;
  s.push.backoff_max_ms = 100;
  std::vector<std::string> errors;
  cfg::validate_push(s, errors);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_NE(errors[0].find("push.fcm_endpoint"), std::string::npos);
  EXPECT_NE(errors[1].find("push.fcm_token_uri"), std::string::npos);
  EXPECT_NE(errors[2].find("push.queue_max"), std::string::npos);
  EXPECT_NE(errors[3].find("push.max_in_flight"), std::string::npos);
  EXPECT_NE(errors[4].find("push.backoff_ms"), std::string::npos);
}
