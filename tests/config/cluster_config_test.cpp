// Unit tests of the cluster.* and redis.* keys: defaults, environment names,
// every validation message, password masking and the node identity made
// when node_id and advertise_host are left empty (redis.url: url_test.cpp).
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/cluster_settings.hpp"
#include "config/keys.hpp"
#include "config/loader.hpp"
#include "config/redis_url.hpp"

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

/// A valid cluster node's settings (MySQL store, cluster on).
cfg::settings cluster_node() {
  cfg::settings s;
  s.store.kind = "mysql";
  s.store.mysql_url = "mysql://h2h:secret@127.0.0.1:3306/h2h";
  s.cluster.enabled = true;
  return s;
}

} // namespace

// -- defaults and names -------------------------------------------------------

TEST(cluster_config, defaults_are_those_of_the_design) {
  cfg::settings s;
  EXPECT_FALSE(s.cluster.enabled);
  EXPECT_EQ(s.cluster.port, 4242);
  EXPECT_EQ(s.cluster.advertise_host, "");
  EXPECT_EQ(s.cluster.node_id, "");
  EXPECT_EQ(s.cluster.heartbeat_ms, 1000);
  EXPECT_EQ(s.cluster.node_ttl_ms, 3000);
  EXPECT_EQ(s.cluster.connect_timeout_ms, 5000);
  EXPECT_EQ(s.redis.url, "redis://127.0.0.1:6379");
  EXPECT_EQ(s.redis.key_prefix, "h2h");
  EXPECT_EQ(s.redis.timeout_ms, 1000);
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  EXPECT_TRUE(cfg::validate(cluster_node()).empty())
    << joined(cfg::validate(cluster_node()));
}

TEST(cluster_config, every_key_is_set_by_its_environment_variable) {
  auto r = cfg::load({}, env_of({{"H2H_STORE_KIND", "mysql"},
                                 {"H2H_STORE_MYSQL_URL", "mysql://u:p@db/h2h"},
                                 {"H2H_CLUSTER_ENABLED", "true"},
                                 {"H2H_CLUSTER_PORT", "0"},
                                 {"H2H_CLUSTER_ADVERTISE_HOST", "10.0.0.7"},
                                 {"H2H_CLUSTER_NODE_ID", "n1"},
                                 {"H2H_CLUSTER_HEARTBEAT_MS", "500"},
                                 {"H2H_CLUSTER_NODE_TTL_MS", "1000"},
                                 {"H2H_CLUSTER_CONNECT_TIMEOUT_MS", "2500"},
                                 {"H2H_REDIS_URL", "redis://:pw@redis:6380/3"},
                                 {"H2H_REDIS_KEY_PREFIX", "test-42"},
                                 {"H2H_REDIS_TIMEOUT_MS", "250"}}));
  EXPECT_TRUE(r.errors.empty()) << joined(r.errors);
  EXPECT_TRUE(r.values.cluster.enabled);
  EXPECT_EQ(r.values.cluster.port, 0);
  EXPECT_EQ(r.values.cluster.advertise_host, "10.0.0.7");
  EXPECT_EQ(r.values.cluster.node_id, "n1");
  EXPECT_EQ(r.values.cluster.heartbeat_ms, 500);
  EXPECT_EQ(r.values.cluster.node_ttl_ms, 1000);
  EXPECT_EQ(r.values.cluster.connect_timeout_ms, 2500);
  EXPECT_EQ(r.values.redis.url, "redis://:pw@redis:6380/3");
  EXPECT_EQ(r.values.redis.key_prefix, "test-42");
  EXPECT_EQ(r.values.redis.timeout_ms, 250);
}

TEST(cluster_config, sections_and_flags_work_like_every_other_key) {
  std::vector<std::string> errors;
  cfg::settings s;
  cfg::apply_file_text(s,
                       "[cluster]\nnode_id = a.b_c-1\nport = 5000\n"
                       "[redis]\nkey_prefix = \"p\"\n",
                       "f.conf", errors);
  EXPECT_TRUE(errors.empty()) << joined(errors);
  EXPECT_EQ(s.cluster.node_id, "a.b_c-1");
  EXPECT_EQ(s.cluster.port, 5000);
  EXPECT_EQ(s.redis.key_prefix, "p");
  auto r = cfg::load({"--cluster.port", "70000", "--redis.timeout_ms=x"},
                     env_of({}));
  ASSERT_EQ(r.errors.size(), 2u) << joined(r.errors);
  EXPECT_NE(r.errors[0].find("cluster.port: '70000' is out of range"),
            std::string::npos)
    << r.errors[0];
  EXPECT_NE(r.errors[1].find("redis.timeout_ms: expected a number"),
            std::string::npos)
    << r.errors[1];
}

// -- validation ---------------------------------------------------------------

TEST(cluster_validate, a_cluster_with_sqlite_is_an_error) {
  cfg::settings s;
  s.cluster.enabled = true;
  auto errs = cfg::validate(s);
  ASSERT_EQ(errs.size(), 1u) << joined(errs);
  EXPECT_EQ(errs[0], "cluster.enabled: a cluster needs store.kind = mysql: "
                     "every node shares one database (store.kind is sqlite)");
  s.cluster.enabled = false;
  EXPECT_TRUE(cfg::validate(s).empty()) << "a single node keeps SQLite";
}

TEST(cluster_validate, node_id_is_a_plain_name_of_at_most_64) {
  auto s = cluster_node();
  for (std::string ok :
       std::vector<std::string>{"", "n1", "A.b_c-9", std::string(64, 'x')}) {
    s.cluster.node_id = ok;
    EXPECT_TRUE(errors_about(s, "cluster.node_id").empty()) << ok;
  }
  for (std::string bad : std::vector<std::string>{
         "a b", "n:1", "n/1", "\xc3\xa9t\xc3\xa9", std::string(65, 'x')}) {
    s.cluster.node_id = bad;
    auto errs = errors_about(s, "cluster.node_id");
    ASSERT_EQ(errs.size(), 1u) << bad;
    EXPECT_NE(errs[0].find("must be 1 to 64 of A-Z a-z 0-9 . _ -"),
              std::string::npos)
      << errs[0];
    EXPECT_NE(errs[0].find("'" + bad + "'"), std::string::npos) << errs[0];
  }
}

TEST(cluster_validate, key_prefix_is_a_plain_name_of_at_most_32) {
  cfg::settings s;
  for (std::string ok : std::vector<std::string>{"h2h", "a", "test.run_7-x",
                                                 std::string(32, 'k')}) {
    s.redis.key_prefix = ok;
    EXPECT_TRUE(cfg::validate(s).empty()) << ok;
  }
  for (std::string bad :
       std::vector<std::string>{"", "h2h:", "a b", "*", std::string(33, 'k')}) {
    s.redis.key_prefix = bad;
    auto errs = cfg::validate(s);
    ASSERT_EQ(errs.size(), 1u) << bad << joined(errs);
    EXPECT_EQ(errs[0], "redis.key_prefix must be 1 to 32 of A-Z a-z 0-9 . _ "
                       "-, not '"
                         + bad + "'");
  }
}

TEST(cluster_validate, heartbeat_is_between_100_ms_and_a_minute) {
  cfg::settings s;
  s.cluster.node_ttl_ms = 200000;
  for (int ok : {100, 1000, 60000}) {
    s.cluster.heartbeat_ms = ok;
    EXPECT_TRUE(cfg::validate(s).empty()) << ok << joined(cfg::validate(s));
  }
  for (int bad : {-1, 0, 99, 60001}) {
    s.cluster.heartbeat_ms = bad;
    auto errs = errors_about(s, "cluster.heartbeat_ms must be between 100 "
                                "and 60000");
    EXPECT_EQ(errs.size(), 1u) << bad << joined(cfg::validate(s));
  }
}

TEST(cluster_validate, a_registration_outlives_two_heartbeats) {
  cfg::settings s;
  s.cluster.heartbeat_ms = 1000;
  s.cluster.node_ttl_ms = 2000;
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  s.cluster.node_ttl_ms = 1999;
  auto errs = cfg::validate(s);
  ASSERT_EQ(errs.size(), 1u) << joined(errs);
  EXPECT_NE(errs[0].find("cluster.node_ttl_ms must be at least 2 x "
                         "cluster.heartbeat_ms"),
            std::string::npos)
    << errs[0];
  s.cluster.node_ttl_ms = 3600001;
  EXPECT_EQ(errors_about(s, "cluster.node_ttl_ms").size(), 1u);
}

TEST(cluster_validate, timeouts_must_be_positive) {
  cfg::settings s;
  s.cluster.connect_timeout_ms = 0;
  s.redis.timeout_ms = 0;
  auto errs = cfg::validate(s);
  ASSERT_EQ(errs.size(), 2u) << joined(errs);
  EXPECT_EQ(errs[0], "cluster.connect_timeout_ms must be between 1 and "
                     "600000");
  EXPECT_EQ(errs[1], "redis.timeout_ms must be between 1 and 600000");
  s.cluster.connect_timeout_ms = 1;
  s.redis.timeout_ms = 1;
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
}

TEST(cluster_validate, tls_files_are_all_three_or_none) {
  auto s = cluster_node();
  EXPECT_TRUE(cfg::validate(s).empty()) << "none: plain";
  s.cluster.tls_cert = "/etc/h2h/tls/tls.crt";
  s.cluster.tls_key = "/etc/h2h/tls/tls.key";
  auto errs = errors_about(s, "cluster.tls_");
  ASSERT_EQ(errs.size(), 1u) << joined(cfg::validate(s));
  EXPECT_EQ(errs[0],
            "cluster.tls_cert, cluster.tls_key and cluster.tls_ca go "
            "together: set all three (TLS with mutual authentication) or "
            "none (plain)");
  s.cluster.tls_ca = "/etc/h2h/tls/ca.crt";
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  auto r = cfg::load({}, env_of({{"H2H_CLUSTER_TLS_CERT", "/c"},
                                 {"H2H_CLUSTER_TLS_KEY", "/k"},
                                 {"H2H_CLUSTER_TLS_CA", "/a"}}));
  EXPECT_TRUE(r.errors.empty()) << joined(r.errors);
  EXPECT_EQ(r.values.cluster.tls_cert, "/c");
  EXPECT_EQ(r.values.cluster.tls_key, "/k");
  EXPECT_EQ(r.values.cluster.tls_ca, "/a");
}

TEST(cluster_validate, the_cluster_port_is_not_a_port_of_the_node) {
  auto s = cluster_node();
  s.cluster.port = s.server.port;
  EXPECT_EQ(errors_about(s, "cluster.port must differ from server.port and "
                            "metrics.port")
              .size(),
            1u);
  s.cluster.port = s.metrics.port;
  EXPECT_EQ(errors_about(s, "cluster.port").size(), 1u);
  s.cluster.port = 0; // any free port never collides
  s.server.port = 0;
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  s.cluster.enabled = false; // an unused port is no conflict
  s.server.port = s.cluster.port = 8080;
  s.store.kind = "sqlite";
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
}

TEST(cluster_validate, advertise_host_is_one_host) {
  cfg::settings s;
  for (std::string ok :
       std::vector<std::string>{"", "127.0.0.1", "node-1.internal", "::1"}) {
    s.cluster.advertise_host = ok;
    EXPECT_TRUE(cfg::validate(s).empty()) << ok;
  }
  for (std::string bad : std::vector<std::string>{"a b", "http://x", "u@h",
                                                  std::string(254, 'h')}) {
    s.cluster.advertise_host = bad;
    EXPECT_EQ(
      errors_about(s, "cluster.advertise_host must be a host name").size(), 1u)
      << bad;
  }
}

TEST(cluster_validate, redis_url_problems_are_named) {
  cfg::settings s;
  std::vector<std::pair<std::string, std::string>> cases = {
    {"http://127.0.0.1:6379", "redis.url: must start with redis://"},
    {"rediss://h", "redis.url: TLS (rediss://) is not supported"},
    {"redis://", "redis.url: needs a host"},
    {"redis://:6379", "redis.url: needs a host"},
    {"redis://:pw@/0", "redis.url: needs a host"},
    {"redis://h:0", "redis.url: port must be between 1 and 65535, not '0'"},
    {"redis://h:65536", "port must be between 1 and 65535, not '65536'"},
    {"redis://h:", "port must be between 1 and 65535, not ''"},
    {"redis://h:63x", "port must be between 1 and 65535, not '63x'"},
    {"redis://h/x", "redis.url: invalid database number 'x'"},
    {"redis://h/-1", "invalid database number '-1'"},
    {"redis://pw@h", "redis.url: credentials must be [user]:password@"},
    {"redis://[::1", "redis.url: unclosed '[' in the host"},
    {"redis://[::1]x", "unexpected 'x' after the host"},
  };
  for (auto& [url, message] : cases) {
    s.redis.url = url;
    auto errs = cfg::validate(s);
    ASSERT_EQ(errs.size(), 1u) << url << joined(errs);
    EXPECT_NE(errs[0].find(message), std::string::npos)
      << url << ": " << errs[0];
    EXPECT_NE(errs[0].find("(redis://[[user]:password@]host[:port][/db])"),
              std::string::npos)
      << errs[0];
  }
}

TEST(cluster_validate, every_problem_is_listed_at_once) {
  auto r = cfg::load({}, env_of({{"H2H_CLUSTER_ENABLED", "true"},
                                 {"H2H_CLUSTER_NODE_ID", "bad id"},
                                 {"H2H_CLUSTER_HEARTBEAT_MS", "50"},
                                 {"H2H_CLUSTER_NODE_TTL_MS", "60"},
                                 {"H2H_CLUSTER_CONNECT_TIMEOUT_MS", "0"},
                                 {"H2H_REDIS_URL", "redis://:pw@:1"},
                                 {"H2H_REDIS_KEY_PREFIX", "a:b"},
                                 {"H2H_REDIS_TIMEOUT_MS", "-5"}}));
  EXPECT_EQ(r.errors.size(), 8u) << joined(r.errors);
  for (auto part :
       {"store.kind = mysql", "cluster.node_id", "cluster.heartbeat_ms",
        "cluster.node_ttl_ms", "cluster.connect_timeout_ms", "redis.url",
        "redis.key_prefix", "redis.timeout_ms"}) {
    bool found = false;
    for (auto& e : r.errors)
      found = found || e.find(part) != std::string::npos;
    EXPECT_TRUE(found) << part << joined(r.errors);
  }
  for (auto& e : r.errors)
    EXPECT_EQ(e.find("pw"), std::string::npos) << "a password leaked: " << e;
}

// -- redis.url ----------------------------------------------------------------

TEST(redis_url, passwords_are_masked_wherever_the_config_is_shown) {
  EXPECT_EQ(cfg::redact_url("redis://:s3cret@h:6379/1"),
            "redis://:***@h:6379/1");
  EXPECT_EQ(cfg::redact_url("redis://app:p@ss@h"), "redis://app:***@h");
  EXPECT_EQ(cfg::redact_url("mysql://u:pw@db:3306/h2h"),
            "mysql://u:***@db:3306/h2h");
  for (auto same : {"redis://127.0.0.1:6379", "redis://user@h", "redis://:@h",
                    "not a url", ""})
    EXPECT_EQ(cfg::redact_url(same), same);
  cfg::settings s;
  s.redis.url = "redis://:s3cret@h:6379";
  auto* url = cfg::find_key("redis.url");
  ASSERT_NE(url, nullptr);
  EXPECT_EQ(url->shown(s), "redis://:***@h:6379");
  EXPECT_EQ(url->shown(cfg::settings{}), "redis://127.0.0.1:6379");
  s.store.mysql_url = "mysql://u:pw@db/h2h";
  EXPECT_EQ(cfg::find_key("store.mysql_url")->shown(s), "<set, not shown>");
  EXPECT_EQ(cfg::find_key("store.mysql_url")->shown(cfg::settings{}), "");
  EXPECT_EQ(cfg::find_key("cluster.node_id")->shown(s), "");
}

// -- node identity ------------------------------------------------------------

TEST(cluster_identity, node_id_from_the_host_name_is_always_valid) {
  EXPECT_EQ(cfg::node_id_from_host("web-1.example.org", 4242, 77),
            "web-1.example.org-4242");
  EXPECT_EQ(cfg::node_id_from_host("web-1", 0, 77), "web-1-p77")
    << "port 0 is not unique on a host: the process id is";
  EXPECT_EQ(cfg::node_id_from_host("h\xc3\xa9 st", 1, 0), "h---st-1");
  EXPECT_EQ(cfg::node_id_from_host("", 4242, 0), "node-4242");
  auto long_id = cfg::node_id_from_host(std::string(300, 'a'), 0, 4294967295u);
  EXPECT_EQ(long_id.size(), 64u);
  EXPECT_EQ(long_id.substr(long_id.size() - 12), "-p4294967295");
  for (auto& id : std::vector<std::string>{
         long_id, cfg::node_id_from_host("h\xc3\xa9 st", 1, 0)})
    EXPECT_TRUE(cfg::is_plain_name(id, 64)) << id;
}

TEST(cluster_identity, empty_settings_are_filled_and_set_ones_kept) {
  cfg::cluster_section c;
  cfg::resolve_cluster_identity(c, "box", 9);
  EXPECT_EQ(c.advertise_host, "box");
  EXPECT_EQ(c.node_id, "box-4242");
  c.advertise_host = "10.0.0.1";
  c.node_id = "n1";
  cfg::resolve_cluster_identity(c, "other", 9);
  EXPECT_EQ(c.advertise_host, "10.0.0.1");
  EXPECT_EQ(c.node_id, "n1");
  EXPECT_FALSE(cfg::local_host_name().empty());
}
