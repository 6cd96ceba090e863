// Unit tests of the admin.* keys: defaults, environment names, the rule
// that a non-loopback admin.bind needs admin.token, the token never shown,
// and the loopback test the admin port judges its peers by.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/admin_settings.hpp"
#include "config/keys.hpp"
#include "config/loader.hpp"

namespace cfg = h2h::config;

namespace {

using env_map = std::map<std::string, std::string>;

cfg::env_lookup env_of(env_map vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (auto& e : errors)
    out += "\n  " + e;
  return out;
}

/// The errors of `s` that mention `part`.
std::vector<std::string> errors_about(const cfg::settings& s,
                                      const std::string& part) {
  std::vector<std::string> out;
  for (auto& e : cfg::validate(s))
    if (e.find(part) != std::string::npos)
      out.push_back(e);
  return out;
}

const std::string token = "0123456789abcdef-long-enough";

} // namespace

TEST(admin_config, defaults_are_loopback_4243_without_a_token) {
  cfg::settings s;
  EXPECT_EQ(s.admin.bind, "127.0.0.1");
  EXPECT_EQ(s.admin.port, 4243);
  EXPECT_EQ(s.admin.token, "");
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  for (auto name :
       {"admin.bind", "admin.port", "admin.token", "admin.timeout_ms",
        "admin.idle_timeout_ms", "admin.max_connections"})
    EXPECT_NE(cfg::find_key(name), nullptr) << name;
  EXPECT_EQ(cfg::find_key("admin.token")->env_name(), "H2H_ADMIN_TOKEN");
}

TEST(admin_config, keys_come_from_file_environment_and_flags) {
  auto r = cfg::load(
    {"--admin.port", "0", "--admin.bind=::1"},
    env_of({{"H2H_ADMIN_TOKEN", token}, {"H2H_ADMIN_TIMEOUT_MS", "2500"}}));
  EXPECT_TRUE(r.errors.empty()) << joined(r.errors);
  EXPECT_EQ(r.values.admin.port, 0);
  EXPECT_EQ(r.values.admin.bind, "::1");
  EXPECT_EQ(r.values.admin.token, token);
  EXPECT_EQ(r.values.admin.timeout_ms, 2500);
}

TEST(admin_config, a_non_loopback_bind_without_a_token_does_not_start) {
  for (auto bind : {"0.0.0.0", "::", "192.0.2.7", "10.1.2.3"}) {
    auto r = cfg::load({"--admin.bind", bind}, env_of({}));
    ASSERT_EQ(r.errors.size(), 1u) << bind << joined(r.errors);
    EXPECT_NE(r.errors[0].find("admin.token"), std::string::npos)
      << r.errors[0];
    EXPECT_NE(r.errors[0].find(bind), std::string::npos) << r.errors[0];
    // Listed with the others, not alone.
    auto two
      = cfg::load({"--admin.bind", bind, "--store.kind", "x"}, env_of({}));
    EXPECT_EQ(two.errors.size(), 2u) << joined(two.errors);
    auto ok
      = cfg::load({"--admin.bind", bind}, env_of({{"H2H_ADMIN_TOKEN", token}}));
    EXPECT_TRUE(ok.errors.empty()) << bind << joined(ok.errors);
  }
  for (auto bind : {"127.0.0.1", "127.3.4.5", "::1", "[::1]"}) {
    auto r = cfg::load({"--admin.bind", bind}, env_of({}));
    EXPECT_TRUE(r.errors.empty()) << bind << joined(r.errors);
  }
}

TEST(admin_config, every_admin_rule_has_a_message) {
  cfg::settings s;
  s.admin.bind = "";
  EXPECT_EQ(errors_about(s, "admin.bind").size(), 1u);
  s.admin.bind = "localhost";
  EXPECT_EQ(errors_about(s, "admin.bind").size(), 1u)
    << "a host name is not an address the listener can bind";
  s = cfg::settings{};
  s.admin.token = "short";
  EXPECT_EQ(errors_about(s, "admin.token").size(), 1u);
  s = cfg::settings{};
  s.admin.port = s.server.port;
  EXPECT_EQ(errors_about(s, "admin.port").size(), 1u);
  s.admin.port = s.metrics.port;
  EXPECT_EQ(errors_about(s, "admin.port").size(), 1u);
  s = cfg::settings{};
  s.server.port = 0;
  s.admin.port = 0; // two free ports are two ports
  EXPECT_TRUE(errors_about(s, "admin.port").empty());
  s = cfg::settings{};
  s.admin.timeout_ms = 10;
  EXPECT_EQ(errors_about(s, "admin.timeout_ms").size(), 1u);
  s = cfg::settings{};
  s.admin.node_timeout_ms = 50;
  EXPECT_EQ(errors_about(s, "admin.node_timeout_ms").size(), 1u);
  s.admin.node_timeout_ms = s.admin.timeout_ms;
  EXPECT_EQ(errors_about(s, "admin.node_timeout_ms").size(), 1u)
    << "the port must outwait the slowest node";
  s = cfg::settings{};
  s.admin.idle_timeout_ms = 10;
  EXPECT_EQ(errors_about(s, "admin.idle_timeout_ms").size(), 1u);
  s = cfg::settings{};
  s.admin.max_connections = 0;
  EXPECT_EQ(errors_about(s, "admin.max_connections").size(), 1u);
  s.admin.max_connections = 100000;
  EXPECT_EQ(errors_about(s, "admin.max_connections").size(), 1u);
}

TEST(admin_config, the_token_is_never_shown_nor_put_in_an_error) {
  cfg::settings s;
  s.admin.token = token;
  auto* k = cfg::find_key("admin.token");
  ASSERT_NE(k, nullptr);
  EXPECT_TRUE(k->secret);
  EXPECT_EQ(k->shown(s), "<set, not shown>");
  EXPECT_EQ(k->shown(cfg::settings{}), "");
  // A token too short is refused without repeating it.
  s.admin.token = "sekrit-short";
  for (auto& e : cfg::validate(s))
    EXPECT_EQ(e.find("sekrit"), std::string::npos) << e;
  EXPECT_EQ(cfg::help_text("h2hd").find(token), std::string::npos);
}

TEST(admin_config, loopback_is_127_slash_8_and_colon_colon_1_only) {
  for (auto a :
       {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", "[::1]"})
    EXPECT_TRUE(cfg::is_loopback_address(a)) << a;
  for (auto a : {"0.0.0.0", "::", "192.0.2.2", "128.0.0.1", "126.0.0.1", "::2",
                 "fe80::1", "::ffff:10.0.0.1", "localhost", "", "127.0.0.1:80"})
    EXPECT_FALSE(cfg::is_loopback_address(a)) << a;
}
