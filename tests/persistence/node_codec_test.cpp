// The registry's pure parts: node records as text and back, redis:// URLs.
#include "persistence/registry/node_registry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace h2h {
namespace {

node_record sample() {
  node_record r;
  r.id = "node-1.a_B";
  r.host = "10.0.0.7";
  r.cluster_port = 4242;
  r.public_port = 8080;
  r.admin_port = 8081;
  r.metrics_port = 9100;
  r.started_ms = 1'764'633'600'123;
  return r;
}

TEST(NodeCodec, ARecordSurvivesEncodingAndDecoding) {
  auto rec = sample();
  auto text = encode_node(rec);
  EXPECT_EQ(text, "v1 id=node-1.a_B host=10.0.0.7 cluster=4242 public=8080 "
                  "admin=8081 metrics=9100 started=1764633600123");
  auto back = decode_node(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, rec);
}

TEST(NodeCodec, AnIpv6HostAndZeroPortsSurvive) {
  auto rec = sample();
  rec.host = "fe80::1%eth0";
  rec.admin_port = 0;
  rec.metrics_port = 65535;
  auto back = decode_node(encode_node(rec));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, rec);
}

TEST(NodeCodec, FieldsInAnyOrderAndUnknownFieldsAreRead) {
  auto back = decode_node("v1 started=5 metrics=4 admin=3 public=2 cluster=1 "
                          "host=h id=n zone=eu-1");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, "n");
  EXPECT_EQ(back->host, "h");
  EXPECT_EQ(back->cluster_port, 1);
  EXPECT_EQ(back->public_port, 2);
  EXPECT_EQ(back->admin_port, 3);
  EXPECT_EQ(back->metrics_port, 4);
  EXPECT_EQ(back->started_ms, 5);
}

TEST(NodeCodec, TextThatIsNotARecordDecodesToNothing) {
  auto good = encode_node(sample());
  const std::string bad[] = {
    "",
    "garbage",
    "v2 " + good.substr(3),
    "v1",
    "v1 ",
    good + " ",                                            // an empty field
    good + " id=other",                                    // a field twice
    "v1 id=n host=h cluster=1 public=2 admin=3 metrics=4", // started missing
    "v1 id=n host=h cluster=65536 public=2 admin=3 metrics=4 started=5",
    "v1 id=n host=h cluster=-1 public=2 admin=3 metrics=4 started=5",
    "v1 id=n host=h cluster=+1 public=2 admin=3 metrics=4 started=5",
    "v1 id=n host=h cluster=1x public=2 admin=3 metrics=4 started=5",
    "v1 id=n host=h cluster= public=2 admin=3 metrics=4 started=5",
    "v1 id=n host=h cluster=1 public=2 admin=3 metrics=4 started=-5",
    "v1 id=n host=h cluster=1 public=2 admin=3 metrics=4 "
    "started=99999999999999999999",
    "v1 id=n/x host=h cluster=1 public=2 admin=3 metrics=4 started=5",
    "v1 id= host=h cluster=1 public=2 admin=3 metrics=4 started=5",
    "v1 id=n host=h\t cluster=1 public=2 admin=3 metrics=4 started=5",
    "v1 id=n host= cluster=1 public=2 admin=3 metrics=4 started=5",
    "v1 id=n  host=h cluster=1 public=2 admin=3 metrics=4 started=5",
    "v1 =x id=n host=h cluster=1 public=2 admin=3 metrics=4 started=5",
    good + " pad=" + std::string(2000, 'x'), // longer than any record
  };
  for (const auto& text : bad)
    EXPECT_FALSE(decode_node(text)) << "decoded: " << text;
}

TEST(NodeCodec, ARecordWithABadIdOrHostIsNotEncoded) {
  auto with = [](std::string id, std::string host) {
    auto r = sample();
    r.id = std::move(id);
    r.host = std::move(host);
    return r;
  };
  const node_record bad[] = {
    with("", "h"),       with(std::string(65, 'n'), "h"),
    with("a b", "h"),    with("a:b", "h"),
    with("n", ""),       with("n", "a host"),
    with("n", "host\n"), with("n", std::string(256, 'h')),
    with("n", "h\x7f"),
  };
  for (const auto& rec : bad) {
    EXPECT_TRUE(node_record_problem(rec)) << rec.id << " " << rec.host;
    EXPECT_THROW(encode_node(rec), std::invalid_argument);
  }
  EXPECT_FALSE(node_record_problem(with(std::string(64, 'n'), "h")));
}

TEST(NodeCodec, KeysAndChannelSitUnderThePrefix) {
  EXPECT_EQ(node_key("h2h", "n1"), "h2h:node:n1");
  EXPECT_EQ(nodes_channel("h2h"), "h2h:nodes");
}

TEST(RedisUrl, TheDefaultUrl) {
  auto a = parse_redis_url("redis://127.0.0.1:6379");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->user, "");
  EXPECT_EQ(a->password, "");
  EXPECT_EQ(a->db, 0);
}

TEST(RedisUrl, EveryPartIsRead) {
  auto a = parse_redis_url("redis://app:s%3Acr%40t@cache.internal:7000/3");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "cache.internal");
  EXPECT_EQ(a->port, 7000);
  EXPECT_EQ(a->user, "app");
  EXPECT_EQ(a->password, "s:cr@t");
  EXPECT_EQ(a->db, 3);
}

TEST(RedisUrl, OptionalPartsTakeTheirDefaults) {
  auto a = parse_redis_url("redis://:pw@redis");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "redis");
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->user, "");
  EXPECT_EQ(a->password, "pw");
  EXPECT_EQ(a->db, 0);
  auto b = parse_redis_url("redis://redis/");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->db, 0);
  // An unescaped '@' in the password: the host follows the last one.
  auto c = parse_redis_url("redis://:p@ss@h:1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->password, "p@ss");
  EXPECT_EQ(c->host, "h");
}

TEST(RedisUrl, AnIpv6HostIsInBrackets) {
  auto a = parse_redis_url("redis://[::1]:6380/1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 1);
}

TEST(RedisUrl, BadUrlsSayWhyWithoutThePassword) {
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
    "redis://h/x",
    "redis://h/-1",
    "redis://h/1/2",
    "redis://h?timeout=1",
    "redis://user@h",       // a user without ':password'
    "redis://user:@h",      // an empty password
    "redis://:sekrit%zz@h", // a broken escape
    "redis://:sekrit%4@h",
    "redis://h o/0",
    "redis://[::1",
    "redis://[::1]x",
    "redis://[zz]:1",
  };
  for (const char* url : bad) {
    std::string why;
    EXPECT_FALSE(parse_redis_url(url, &why)) << url;
    EXPECT_FALSE(why.empty()) << url;
    EXPECT_EQ(why.find("sekrit"), std::string::npos) << why;
  }
}

TEST(RedisSettings, BadSettingsAreRefusedBeforeAnyConnection) {
  redis_settings bad_url;
  bad_url.url = "redis://:sekrit@h:0";
  redis_settings bad_prefix;
  bad_prefix.key_prefix = "h2h*";
  redis_settings bad_timeout;
  bad_timeout.timeout = std::chrono::milliseconds{0};
  for (const auto& s : {bad_url, bad_prefix, bad_timeout}) {
    try {
      make_redis_registry(s);
      ADD_FAILURE() << "accepted " << s.url << " " << s.key_prefix;
    } catch (const registry_error& e) {
      EXPECT_EQ(std::string{e.what()}.find("sekrit"), std::string::npos);
    }
    EXPECT_THROW(make_redis_watch(s), registry_error);
  }
}

} // namespace
} // namespace h2h
