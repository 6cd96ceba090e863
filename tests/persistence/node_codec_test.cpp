// The registry's pure parts: node records as text and back, and its
// settings checked before any connection (redis:// URLs as the loader reads
// them).
#include "persistence/registry/node_registry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "config/loader.hpp"

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

TEST(NodeCodec, ALeavingNodeSaysSoAndOlderTextIsNotLeaving) {
  auto rec = sample();
  rec.leaving = true;
  auto text = encode_node(rec);
  EXPECT_EQ(text, "v1 id=node-1.a_B host=10.0.0.7 cluster=4242 public=8080 "
                  "admin=8081 metrics=9100 started=1764633600123 leaving=1");
  auto back = decode_node(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, rec);
  // A record of a node that does not leave reads as not leaving, written
  // by this version or an older one.
  auto plain = decode_node(encode_node(sample()));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->leaving);
  EXPECT_NE(*plain, rec);
  EXPECT_FALSE(decode_node("v1 id=n host=h cluster=1 public=2 admin=3 "
                           "metrics=4 started=5 leaving=0")
                 ->leaving);
  // Anything else is not a record: which would be true?
  EXPECT_FALSE(decode_node("v1 id=n host=h cluster=1 public=2 admin=3 "
                           "metrics=4 started=5 leaving=yes"));
  EXPECT_FALSE(decode_node("v1 id=n host=h cluster=1 public=2 admin=3 "
                           "metrics=4 started=5 leaving=1 leaving=0"));
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

// The loader (redis.url at start-up) and the registry (when the node
// connects) must judge a URL alike: one that passes the first must not fail
// the second only once the node is running.
TEST(RedisUrl, TheLoaderAndTheRegistryAcceptTheSameUrls) {
  const std::vector<std::pair<std::string, bool>> urls = {
    {"redis://127.0.0.1:6379", true},
    {"redis://h", true},
    {"redis://h/", true},
    {"redis://h:1/65535", true},
    {"redis://:pw@redis", true},
    {"redis://app:s%3Acr%40t@cache.internal:7000/3", true},
    {"redis://:p@ss@h:1", true},
    {"redis://app:p%40ss/w@[::1]:7000/", true},
    {"redis://[::1]", true},
    {"", false},
    {"http://h:6379", false},
    {"rediss://h:6379", false},
    {"redis://", false},
    {"redis://:6379", false},
    {"redis://h:0", false},
    {"redis://h:65536", false},
    {"redis://h:", false},
    {"redis://h/x", false},
    {"redis://h/65536", false},
    {"redis://h?x=1", false},
    {"redis://h#x", false},
    {"redis://user@h", false},
    {"redis://user:@h", false},
    {"redis://:@h", false},
    {"redis://:sekrit%zz@h", false},
    {"redis://:sekrit%4@h", false},
    {"redis://h o/0", false},
    {"redis://[::1", false},
    {"redis://[::1]x", false},
    {"redis://[zz]:1", false},
  };
  for (const auto& [url, good] : urls) {
    config::settings s;
    s.redis.url = url;
    bool loader_ok = true;
    for (auto& e : config::validate(s))
      loader_ok = loader_ok && e.find("redis.url") == std::string::npos;
    redis_settings r;
    r.url = url;
    bool registry_ok = true;
    try {
      make_redis_registry(r);
    } catch (const registry_error&) {
      registry_ok = false;
    }
    EXPECT_EQ(loader_ok, good) << "loader on " << url;
    EXPECT_EQ(registry_ok, good) << "registry on " << url;
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
