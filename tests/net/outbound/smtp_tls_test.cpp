// The SMTP TLS rule: TLS always, except for an explicitly plain URL to a
// loopback relay.
#include <gtest/gtest.h>

#include "net/outbound/mailer.hpp"

using h2h::net::smtp_tls;
using h2h::net::smtp_tls_for;

TEST(smtp_tls, smtps_is_implicit_tls) {
  for (auto url :
       {"smtps://mail.example.com", "smtps://u:p@mail.example.com:465",
        "SMTPS://mail.example.com", "smtps://127.0.0.1:465",
        "smtps://localhost"})
    EXPECT_EQ(smtp_tls_for(url), smtp_tls::implicit) << url;
}

TEST(smtp_tls, plain_smtp_to_any_other_host_requires_starttls) {
  for (auto url :
       {"smtp://mail.example.com", "smtp://mail.example.com:587",
        "smtp://user:secret@smtp.example.org:25", "smtp://10.0.0.5:25",
        "smtp://192.168.1.1", "smtp://[2001:db8::1]:25", "smtp://127.0.0.2:25",
        "smtp://localhost.example.com", "smtp://127.0.0.1.example.com",
        "smtp://localhostx:25"})
    EXPECT_EQ(smtp_tls_for(url), smtp_tls::required) << url;
}

TEST(smtp_tls, plain_smtp_to_loopback_stays_plain) {
  for (auto url :
       {"smtp://127.0.0.1", "smtp://127.0.0.1:2525", "smtp://[::1]:25",
        "smtp://[::1]", "smtp://localhost", "smtp://LocalHost:1025",
        "smtp://u:p@127.0.0.1:25", "smtp://localhost:25/h2h.example"})
    EXPECT_EQ(smtp_tls_for(url), smtp_tls::none) << url;
}

TEST(smtp_tls, a_loopback_name_outside_the_host_part_is_not_loopback) {
  // The user part, the path or a fragment may say 127.0.0.1: the host is
  // what counts.
  for (auto url : {"smtp://127.0.0.1@mail.example.com",
                   "smtp://localhost:pw@mail.example.com:25",
                   "smtp://mail.example.com/127.0.0.1",
                   "smtp://mail.example.com#@127.0.0.1",
                   "smtp://mail.example.com?@localhost"})
    EXPECT_EQ(smtp_tls_for(url), smtp_tls::required) << url;
}

TEST(smtp_tls, unparsable_urls_require_tls) {
  for (auto url : {"", "127.0.0.1:25", "smtp://", "smtp:///x",
                   "smtp://local host", "http://127.0.0.1"})
    EXPECT_EQ(smtp_tls_for(url), smtp_tls::required) << url;
}
