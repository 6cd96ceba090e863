// Client addresses: parsing, CIDR matching, the per-address key (IPv6 by
// /64, IPv4-mapped as IPv4) and forwarded addresses believed only from
// trusted proxies.
#include <gtest/gtest.h>

#include "config/cidr.hpp"
#include "net/server/client_address.hpp"

namespace {

using h2h::config::cidr;
using h2h::config::ip_bytes;
using h2h::config::ip_text;
using h2h::config::parse_cidr;
using h2h::config::parse_cidr_list;
using h2h::config::parse_ip;
using namespace h2h::net;

ip_bytes ip(std::string_view text) {
  auto out = parse_ip(text);
  if (!out)
    throw std::invalid_argument("bad test address " + std::string{text});
  return *out;
}

proxy_trust trusting(std::string_view list,
                     forwarded_from header = forwarded_from::x_forwarded_for) {
  std::vector<std::string> problems;
  proxy_trust t;
  t.proxies = parse_cidr_list(list, problems);
  EXPECT_TRUE(problems.empty()) << problems.front();
  t.header = header;
  return t;
}

std::string client_text(std::string_view peer,
                        const std::vector<std::string_view>& xff,
                        const proxy_trust& trust) {
  return ip_text(client_address(ip(peer), x_forwarded_for_hops(xff), trust));
}

TEST(client_address, parses_addresses_and_nothing_else) {
  EXPECT_EQ(ip_text(ip("192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(ip_text(ip("2001:DB8::1")), "2001:db8::1");
  EXPECT_EQ(ip_text(ip("[2001:db8::1]")), "2001:db8::1");
  EXPECT_EQ(ip("::ffff:192.0.2.7"), ip("192.0.2.7"))
    << "IPv4-mapped IPv6 is the IPv4 address";
  for (auto bad : {"", "192.0.2", "192.0.2.256", "1.2.3.4:80", "host.example",
                   "2001:db8::1%eth0", "2001:db8:::1", "[2001:db8::1",
                   "unknown", "01.2.3.4 "})
    EXPECT_FALSE(parse_ip(bad)) << bad;
}

TEST(client_address, cidr_ranges_match_by_prefix) {
  auto ten = *parse_cidr("10.0.0.0/8");
  EXPECT_TRUE(ten.contains(ip("10.255.1.2")));
  EXPECT_FALSE(ten.contains(ip("11.0.0.1")));
  EXPECT_TRUE(ten.contains(ip("::ffff:10.1.1.1")));
  EXPECT_FALSE(ten.contains(ip("::a00:1"))) << "IPv4-compatible is not IPv4";
  auto one = *parse_cidr("192.0.2.7");
  EXPECT_TRUE(one.contains(ip("192.0.2.7")));
  EXPECT_FALSE(one.contains(ip("192.0.2.8")));
  auto v6 = *parse_cidr("2001:db8:aa00::/40");
  EXPECT_TRUE(v6.contains(ip("2001:db8:aaff::1")));
  EXPECT_FALSE(v6.contains(ip("2001:db8:ab00::1")));
  EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(ip("8.8.8.8")));
  EXPECT_FALSE(parse_cidr("0.0.0.0/0")->contains(ip("2001:db8::1")));
  EXPECT_TRUE(parse_cidr("::/0")->contains(ip("2001:db8::1")));
  EXPECT_TRUE(parse_cidr("::ffff:10.0.0.0/104")->contains(ip("10.9.9.9")));
  for (auto bad : {"10.0.0.0/33", "10.0.0.1/8", "10.0.0.0/", "10.0.0.0/x",
                   "2001:db8::/129", "2001:db8::1/64", "/8", "10.0.0.0/-1"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
}

TEST(client_address, cidr_lists_report_every_bad_entry) {
  std::vector<std::string> problems;
  auto list = parse_cidr_list(" 10.0.0.0/8, 192.0.2.1 ,fd00::/8", problems);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_TRUE(problems.empty());
  list = parse_cidr_list("10.0.0.0/8,nonsense, 1.2.3.4/40", problems);
  EXPECT_EQ(list.size(), 1u);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("nonsense"), std::string::npos);
  EXPECT_TRUE(parse_cidr_list("", problems).empty());
}

TEST(client_address, ipv6_clients_are_counted_by_their_64) {
  EXPECT_EQ(address_key(ip("192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(address_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(address_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            address_key(ip("2001:db8:1:2::")));
  EXPECT_NE(address_key(ip("2001:db8:1:2::1")),
            address_key(ip("2001:db8:1:3::1")));
  EXPECT_EQ(address_key(ip("::1")), "::/64");
  EXPECT_EQ(limit_key("2001:db8:1:2::9"), "2001:db8:1:2::/64");
  EXPECT_EQ(limit_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(limit_key("not-an-address"), "not-an-address");
}

TEST(client_address, forwarding_headers_of_untrusted_peers_are_ignored) {
  proxy_trust nobody;
  EXPECT_EQ(client_text("203.0.113.9", {"1.2.3.4"}, nobody), "203.0.113.9");
  auto trust = trusting("10.0.0.0/8");
  // An attacker cannot pick his address by sending the header himself.
  EXPECT_EQ(client_text("203.0.113.9", {"1.2.3.4"}, trust), "203.0.113.9");
}

TEST(client_address, the_rightmost_untrusted_hop_is_the_client) {
  auto trust = trusting("10.0.0.0/8, fd00::/8");
  EXPECT_EQ(client_text("10.0.0.5", {"198.51.100.7"}, trust), "198.51.100.7");
  // The client forged a first entry; the proxies appended the truth.
  EXPECT_EQ(client_text("10.0.0.5", {"6.6.6.6, 198.51.100.7, 10.0.0.9"}, trust),
            "198.51.100.7");
  // Several header lines are one list, in order.
  EXPECT_EQ(
    client_text("10.0.0.5", {"6.6.6.6", "198.51.100.7", "10.1.1.1"}, trust),
    "198.51.100.7");
  // Ports and brackets as some proxies write them.
  EXPECT_EQ(client_text("10.0.0.5", {"198.51.100.7:4711"}, trust),
            "198.51.100.7");
  EXPECT_EQ(client_text("10.0.0.5", {"[2001:db8::7]:443, 10.0.0.2"}, trust),
            "2001:db8::7");
  EXPECT_EQ(client_text("fd00::1", {"2001:db8::7"}, trust), "2001:db8::7");
  EXPECT_EQ(client_text("::ffff:10.0.0.5", {"::ffff:198.51.100.7"}, trust),
            "198.51.100.7");
  // Every hop trusted: the leftmost.
  EXPECT_EQ(client_text("10.0.0.5", {"10.9.9.9, 10.0.0.1"}, trust), "10.9.9.9");
  // No header: the proxy itself.
  EXPECT_EQ(client_text("10.0.0.5", {}, trust), "10.0.0.5");
  // Garbage stops the walk at the last trusted hop: nothing left of it
  // can be checked.
  EXPECT_EQ(client_text("10.0.0.5", {"198.51.100.7, unknown, 10.0.0.2"}, trust),
            "10.0.0.2");
  EXPECT_EQ(client_text("10.0.0.5", {"nonsense"}, trust), "10.0.0.5");
  EXPECT_EQ(client_text("10.0.0.5", {"1.2.3.4:port"}, trust), "10.0.0.5");
}

TEST(client_address, rfc7239_forwarded_is_read_when_configured) {
  auto trust = trusting("10.0.0.0/8", forwarded_from::forwarded);
  auto client = [&](std::vector<std::string_view> values) {
    return ip_text(
      client_address(ip("10.0.0.5"), forwarded_hops(values), trust));
  };
  EXPECT_EQ(client({"for=198.51.100.7;proto=https"}), "198.51.100.7");
  EXPECT_EQ(client({R"(for=6.6.6.6, For="[2001:db8:cafe::17]:4711")"}),
            "2001:db8:cafe::17");
  EXPECT_EQ(client({"for=198.51.100.7:80, for=10.0.0.3;by=10.0.0.5"}),
            "198.51.100.7");
  EXPECT_EQ(client({"proto=https;for=\"198.51.100.7\""}), "198.51.100.7");
  EXPECT_EQ(client({"for=_hidden, for=10.0.0.3"}), "10.0.0.3");
  EXPECT_EQ(client({"for=unknown"}), "10.0.0.5");
  EXPECT_EQ(client({"by=10.0.0.1"}), "10.0.0.5") << "an element without for";
  EXPECT_EQ(client({R"(for="198.51.100.7, 10.0.0.9")"}), "10.0.0.5")
    << "a quoted comma is not a separator";
}

TEST(client_address, a_request_uses_only_the_configured_header) {
  auto xff = trusting("127.0.0.1");
  auto fwd = trusting("127.0.0.1", forwarded_from::forwarded);
  http_request req{boost::beast::http::verb::get, "/message", 11};
  req.insert("X-Forwarded-For", "198.51.100.1");
  req.insert("x-forwarded-for", "198.51.100.2");
  req.insert("Forwarded", "for=198.51.100.3");
  EXPECT_EQ(ip_text(client_address(ip("127.0.0.1"), req, xff)), "198.51.100.2");
  EXPECT_EQ(ip_text(client_address(ip("127.0.0.1"), req, fwd)), "198.51.100.3");
  EXPECT_EQ(ip_text(client_address(ip("127.0.0.2"), req, xff)), "127.0.0.2");
}

} // namespace
