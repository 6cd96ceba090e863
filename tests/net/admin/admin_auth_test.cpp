// Who may ask the admin port (docs/admin.md): loopback clients without a
// token, others only after `auth` with admin.token (tested from a
// non-loopback address of this machine), and the listener's settings from
// the admin.* keys.
#include <gtest/gtest.h>

#include "admin_port_support.hpp"

using namespace h2h::test;

// -- who may ask --------------------------------------------------------------

TEST(admin_listener, loopback_needs_no_token_but_a_wrong_one_closes) {
  auto s = local();
  s.token = token;
  listening l{s};
  line_client plain{"127.0.0.1", l.port};
  plain.send("{\"cmd\":\"nodes\"}\n");
  EXPECT_EQ(plain.answer()["ok"], true);
  line_client right{"127.0.0.1", l.port};
  right.send("{\"cmd\":\"auth\",\"token\":\"" + token + "\"}\n");
  EXPECT_EQ(right.answer(), json::parse(R"({"ok":true,"cmd":"auth"})"));
  line_client wrong{"127.0.0.1", l.port};
  wrong.send("{\"cmd\":\"auth\",\"token\":\"nope\"}\n");
  EXPECT_EQ(code_of(wrong.answer()), "ADMIN_UNAUTHORIZED");
  EXPECT_TRUE(wrong.closed_within(2s));
  // Without a configured token, auth from loopback has nothing to check.
  listening open{local()};
  line_client any{"127.0.0.1", open.port};
  any.send("{\"cmd\":\"auth\",\"token\":\"whatever\"}\n");
  EXPECT_EQ(any.answer()["ok"], true);
}

TEST(admin_listener, a_non_loopback_client_without_the_token_is_refused) {
  auto address = non_loopback_address();
  if (address.empty())
    GTEST_SKIP() << "this machine has no non-loopback IPv4 address; the "
                    "peer check is covered by admin_config.loopback_is_*";
  auto s = local("0.0.0.0");
  s.token = token;
  listening l{s};
  // First request not auth: refused and closed, the handler never asked.
  line_client first{address, l.port};
  first.send("{\"cmd\":\"nodes\"}\n{\"cmd\":\"nodes\"}\n");
  auto a = first.answer();
  EXPECT_EQ(code_of(a), "ADMIN_UNAUTHORIZED") << a;
  EXPECT_EQ(a["cmd"], "nodes");
  EXPECT_TRUE(first.closed_within(2s));
  line_client garbage{address, l.port};
  garbage.send("nope\n");
  EXPECT_EQ(code_of(garbage.answer()), "ADMIN_UNAUTHORIZED");
  EXPECT_TRUE(garbage.closed_within(2s));
  // A wrong token closes.
  line_client wrong{address, l.port};
  wrong.send("{\"cmd\":\"auth\",\"token\":\"" + token + "x\"}\n");
  EXPECT_EQ(code_of(wrong.answer()), "ADMIN_UNAUTHORIZED");
  EXPECT_TRUE(wrong.closed_within(2s));
  EXPECT_EQ(l.fake.count(), 0u);
  // The right token, then requests as from loopback.
  line_client right{address, l.port};
  right.send("{\"cmd\":\"auth\",\"token\":\"" + token
             + "\"}\n{\"cmd\":\"nodes\"}\n");
  EXPECT_EQ(right.answer(), json::parse(R"({"ok":true,"cmd":"auth"})"));
  EXPECT_EQ(right.answer()["cmd"], "nodes");
  EXPECT_EQ(l.fake.count(), 1u);
}

TEST(admin_listener, without_a_token_no_non_loopback_client_gets_in) {
  auto address = non_loopback_address();
  if (address.empty())
    GTEST_SKIP() << "this machine has no non-loopback IPv4 address";
  listening l{local("0.0.0.0")};
  line_client c{address, l.port};
  c.send("{\"cmd\":\"auth\",\"token\":\"\"}\n");
  EXPECT_EQ(code_of(c.answer()), "ADMIN_UNAUTHORIZED");
  EXPECT_TRUE(c.closed_within(2s));
  line_client loop{"127.0.0.1", l.port};
  loop.send("{\"cmd\":\"nodes\"}\n");
  EXPECT_EQ(loop.answer()["ok"], true);
}

TEST(admin_listener, settings_come_from_the_admin_keys) {
  h2h::config::settings cfg;
  cfg.admin.bind = "::1";
  cfg.admin.port = 0;
  cfg.admin.token = token;
  cfg.admin.timeout_ms = 1234;
  cfg.admin.idle_timeout_ms = 5678;
  cfg.admin.max_connections = 3;
  cfg.limits.max_message_chars = 100;
  cfg.cluster.node_id = "node-7";
  auto s = h2h::net::admin_settings_from(cfg);
  EXPECT_EQ(s.bind, "::1");
  EXPECT_EQ(s.port, 0);
  EXPECT_EQ(s.token, token);
  EXPECT_EQ(s.timeout, 1234ms);
  EXPECT_EQ(s.idle_timeout, 5678ms);
  EXPECT_EQ(s.max_connections, 3u);
  EXPECT_EQ(s.max_line_bytes, 65536u);
  EXPECT_EQ(s.parse.max_text_chars, 100u);
  EXPECT_EQ(s.node_id, "node-7");
}
