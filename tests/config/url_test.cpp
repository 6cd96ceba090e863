// Unit tests of the URL grammars checked at start-up: redis.url and
// store.mysql_url as the loader sees them, and the one percent_decode.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config/mysql_url.hpp"
#include "config/percent_decode.hpp"
#include "config/redis_url.hpp"

namespace cfg = h2h::config;

namespace {

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (auto& e : errors)
    out += "\n  " + e;
  return out;
}

/// The errors `h2hd` would print at start-up (and for --check-config).
std::vector<std::string> startup_errors(std::vector<std::string> args) {
  return cfg::load(
           args,
           [](const std::string&) { return std::optional<std::string>{}; })
    .errors;
}

} // namespace

// -- redis.url at start-up ---------------------------------------------------

TEST(redis_url_startup, what_the_registry_refuses_is_refused_at_start_up) {
  // Each of these was accepted by the loader and refused only when the node
  // connected to the registry.
  const char* bad[] = {
    "redis://h?timeout=1",       // a query
    "redis://h#frag",            // a fragment
    "redis://:sekrit%zz@h",      // a broken escape
    "redis://:sekrit%4@h",       // a cut escape
    "redis://app%g1:sekrit@h",   // a broken escape in the user
    "redis://app:@h",            // an empty password
    "redis://:@h",               // an empty password without a user
    "redis://h o/0",             // a space in the host
    "redis://h%41/0",            // an escape in the host
    "redis://h/65536",           // a database past 65535
    "redis://[zz]:1",            // not an IPv6 address
    "redis://[::1]:6379/100000", // a database past 65535
  };
  for (const char* url : bad) {
    auto errs = startup_errors({"--redis.url", url});
    ASSERT_EQ(errs.size(), 1u) << url << joined(errs);
    EXPECT_EQ(errs[0].rfind("redis.url: ", 0), 0u) << url << ": " << errs[0];
    EXPECT_EQ(errs[0].find("sekrit"), std::string::npos) << errs[0];
  }
}

TEST(redis_url_startup, good_urls_are_still_accepted) {
  const char* good[] = {
    "redis://127.0.0.1:6379",
    "redis://h",
    "redis://h/",
    "redis://h:1/65535",
    "redis://:pw@redis",
    "redis://app:s%3Acr%40t@cache.internal:7000/3",
    "redis://:p@ss@h:1",
    "redis://app:p%40ss/w@[::1]:7000/",
    "redis://[::1]",
    "redis://my_redis-1.internal",
  };
  for (const char* url : good) {
    auto errs = startup_errors({"--redis.url", url});
    EXPECT_TRUE(errs.empty()) << url << joined(errs);
  }
}

// -- store.mysql_url at start-up ---------------------------------------------

TEST(mysql_url_startup, a_broken_escape_is_a_configuration_error) {
  const char* bad[] = {
    "mysql://u:sekrit%zz@db:3306/h2h", // not hex
    "mysql://u:sekrit%4@db:3306/h2h",  // cut short before the '@'
    "mysql://u%g1:sekrit@db:3306/h2h", // in the user
    "mysql://u:sekrit@db:3306/h2h%",   // a lone '%' at the end
    "mysql://u:sekrit@db:3306/h2h%2",  // cut short at the end
  };
  for (const char* url : bad) {
    auto errs
      = startup_errors({"--store.kind", "mysql", "--store.mysql_url", url});
    ASSERT_EQ(errs.size(), 1u) << url << joined(errs);
    EXPECT_EQ(errs[0].rfind("store.mysql_url: ", 0), 0u)
      << url << ": " << errs[0];
    EXPECT_NE(errs[0].find("percent escape"), std::string::npos) << errs[0];
    EXPECT_EQ(errs[0].find("sekrit"), std::string::npos) << errs[0];
  }
}

TEST(mysql_url_startup, a_url_the_store_would_refuse_is_refused_at_start_up) {
  // Before, only the mysql:// prefix was checked here; the rest failed when
  // the store opened.
  const char* bad[] = {
    "mysql://sekrit@db",          // no /database
    "mysql://db/h2h",             // no user
    "mysql://u:sekrit@db:0/h2h",  // port 0
    "mysql://u:sekrit@db:x/h2h",  // not a port
    "mysql://u:sekrit@:3306/h2h", // no host
  };
  for (const char* url : bad) {
    auto errs
      = startup_errors({"--store.kind", "mysql", "--store.mysql_url", url});
    ASSERT_EQ(errs.size(), 1u) << url << joined(errs);
    EXPECT_EQ(errs[0].rfind("store.mysql_url: ", 0), 0u)
      << url << ": " << errs[0];
    EXPECT_EQ(errs[0].find("sekrit"), std::string::npos) << errs[0];
  }
  for (const char* good : {"mysql://u:p%40ss@db.local:3307/chat",
                           "mysql://u@h/d", "mysql://u:p@ss@h/d"}) {
    auto errs
      = startup_errors({"--store.kind", "mysql", "--store.mysql_url", good});
    EXPECT_TRUE(errs.empty()) << good << joined(errs);
  }
}

// -- percent_decode -----------------------------------------------------------

TEST(percent_decode, decodes_escapes_of_either_case) {
  EXPECT_EQ(cfg::percent_decode(""), "");
  EXPECT_EQ(cfg::percent_decode("plain"), "plain");
  EXPECT_EQ(cfg::percent_decode("p%40ss%2fw%2F%3a"), "p@ss/w/:");
  EXPECT_EQ(cfg::percent_decode("%25"), "%");
  EXPECT_EQ(cfg::percent_decode("%00x"), std::string("\0x", 2));
  EXPECT_EQ(cfg::percent_decode("%C3%A9"), "\xC3\xA9");
}

TEST(percent_decode, refuses_a_broken_escape) {
  for (auto bad : {"%", "%4", "a%", "%zz", "%4g", "%g4", "x%2", "%%41", "% 41",
                   "%-1", "%+1"})
    EXPECT_FALSE(cfg::percent_decode(bad)) << bad;
}

// -- parse_redis_url ----------------------------------------------------------

TEST(redis_url, parses_every_part) {
  cfg::redis_target t;
  std::string problem;
  ASSERT_TRUE(cfg::parse_redis_url("redis://127.0.0.1", t, problem));
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 6379);
  EXPECT_EQ(t.db, 0);
  EXPECT_EQ(t.user, "");
  EXPECT_EQ(t.password, "");
  ASSERT_TRUE(
    cfg::parse_redis_url("redis://:s3cret@redis.internal:6380/2", t, problem));
  EXPECT_EQ(t.user, "");
  EXPECT_EQ(t.password, "s3cret");
  EXPECT_EQ(t.host, "redis.internal");
  EXPECT_EQ(t.port, 6380);
  EXPECT_EQ(t.db, 2);
  ASSERT_TRUE(cfg::parse_redis_url(
    "redis://app:s%3Acr%40t@cache.internal:7000/65535", t, problem));
  EXPECT_EQ(t.user, "app");
  EXPECT_EQ(t.password, "s:cr@t");
  EXPECT_EQ(t.host, "cache.internal");
  EXPECT_EQ(t.port, 7000);
  EXPECT_EQ(t.db, 65535);
}

TEST(redis_url, optional_parts_take_their_defaults) {
  cfg::redis_target t;
  std::string problem;
  ASSERT_TRUE(cfg::parse_redis_url("redis://:pw@redis/", t, problem));
  EXPECT_EQ(t.host, "redis");
  EXPECT_EQ(t.port, 6379);
  EXPECT_EQ(t.user, "");
  EXPECT_EQ(t.password, "pw");
  EXPECT_EQ(t.db, 0);
  // '@' and '/' may stay unescaped in a password: the last '@' ends it.
  ASSERT_TRUE(cfg::parse_redis_url("redis://:p@ss@h:1", t, problem));
  EXPECT_EQ(t.password, "p@ss");
  EXPECT_EQ(t.host, "h");
  ASSERT_TRUE(
    cfg::parse_redis_url("redis://app:p%40ss/w@[::1]:7000/", t, problem))
    << problem;
  EXPECT_EQ(t.user, "app");
  EXPECT_EQ(t.password, "p@ss/w");
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.port, 7000);
  EXPECT_EQ(t.db, 0);
}

TEST(redis_url, an_ipv6_host_is_in_brackets) {
  cfg::redis_target t;
  std::string problem;
  ASSERT_TRUE(cfg::parse_redis_url("redis://[::1]", t, problem));
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.port, 6379);
  ASSERT_TRUE(cfg::parse_redis_url("redis://[::1]:6380/1", t, problem));
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.port, 6380);
  EXPECT_EQ(t.db, 1);
}

TEST(redis_url, bad_urls_say_why_without_the_password_and_change_nothing) {
  const char* bad[] = {
    "",
    "http://h:6379",
    "rediss://h:6379",
    "redis://",
    "redis://:6379",
    "redis://h:0",
    "redis://h:65536",
    "redis://h:port",
    "redis://h:",
    "redis://h:1:2",
    "redis://h/x",
    "redis://h/-1",
    "redis://h/65536",
    "redis://h/1/2",
    "redis://h?timeout=1",
    "redis://:sekrit@h#x",
    "redis://:sek?rit@h",
    "redis://user@h",       // a user without ':password'
    "redis://user:@h",      // an empty password
    "redis://:@h",          // an empty password, no user
    "redis://:sekrit%zz@h", // a broken escape
    "redis://:sekrit%4@h",
    "redis://us%r:sekrit@h",
    "redis://h o/0",
    "redis://h%41",
    "redis://:sekrit@/0",
    "redis://[::1",
    "redis://[::1]x",
    "redis://[]",
    "redis://[zz]:1",
  };
  for (const char* url : bad) {
    cfg::redis_target t;
    t.host = "kept";
    std::string problem;
    EXPECT_FALSE(cfg::parse_redis_url(url, t, problem)) << url;
    EXPECT_FALSE(problem.empty()) << url;
    EXPECT_EQ(problem.find("sekrit"), std::string::npos) << problem;
    EXPECT_EQ(problem.find("sek"), std::string::npos) << problem;
    EXPECT_EQ(t.host, "kept") << url;
  }
  std::string long_host(256, 'h');
  cfg::redis_target t;
  std::string problem;
  EXPECT_FALSE(cfg::parse_redis_url("redis://" + long_host, t, problem));
  EXPECT_TRUE(
    cfg::parse_redis_url("redis://" + long_host.substr(1), t, problem));
}

TEST(redis_url, a_bad_host_character_is_named_when_printable) {
  cfg::redis_target t;
  std::string problem;
  EXPECT_FALSE(cfg::parse_redis_url("redis://h%41/0", t, problem));
  EXPECT_EQ(problem,
            "bad character '%' in the host (A-Z a-z 0-9 . - _, or [IPv6])");
  EXPECT_FALSE(cfg::parse_redis_url("redis://h\no", t, problem));
  EXPECT_EQ(problem, "a space, control or non-ASCII character in the host "
                     "(A-Z a-z 0-9 . - _, or [IPv6])");
  EXPECT_FALSE(cfg::parse_redis_url("redis://h\xC3\xA9", t, problem));
  EXPECT_EQ(problem.find('\xC3'), std::string::npos) << problem;
  EXPECT_FALSE(cfg::parse_redis_url("redis://[::1%eth0]", t, problem));
  EXPECT_EQ(problem, "the host in '[...]' is not an IPv6 address");
}

// -- parse_mysql_url ----------------------------------------------------------

TEST(mysql_url, parses_every_part) {
  cfg::mysql_target t;
  std::string problem;
  ASSERT_TRUE(
    cfg::parse_mysql_url("mysql://u:p%40ss@db.local:3307/ch%61t", t, problem));
  EXPECT_EQ(t.user, "u");
  EXPECT_EQ(t.password, "p@ss");
  EXPECT_EQ(t.host, "db.local");
  EXPECT_EQ(t.port, 3307);
  EXPECT_EQ(t.database, "chat");
  ASSERT_TRUE(cfg::parse_mysql_url("mysql://u@h/d", t, problem));
  EXPECT_EQ(t.password, "");
  EXPECT_EQ(t.port, 3306);
  ASSERT_TRUE(cfg::parse_mysql_url("mysql://u:p@ss@h/d", t, problem));
  EXPECT_EQ(t.password, "p@ss");
}

TEST(mysql_url, bad_urls_say_why_without_the_password_and_change_nothing) {
  const char* bad[] = {
    "postgres://u:sekrit@h/d",    "mysql://u:sekrit@h:0/d",
    "mysql://u:sekrit@h:99999/d", "mysql://h/d",
    "mysql://u:sekrit@h",         "mysql://u:sekrit@h/",
    "mysql://:sekrit@h/d",        "mysql://u:sekrit%zz@h/d",
    "mysql://u:sekrit%4@h/d",     "mysql://u:sekrit%@h/d",
    "mysql://u%4:sekrit@h/d",     "mysql://u:sekrit@h/d%zz",
    "mysql://u:sekrit@h/d%4",
  };
  for (const char* url : bad) {
    cfg::mysql_target t;
    t.host = "kept";
    std::string problem;
    EXPECT_FALSE(cfg::parse_mysql_url(url, t, problem)) << url;
    EXPECT_FALSE(problem.empty()) << url;
    EXPECT_EQ(problem.find("sek"), std::string::npos) << problem;
    EXPECT_EQ(t.host, "kept") << url;
  }
}
