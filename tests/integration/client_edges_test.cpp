// Integration: the public port's edges against a real h2hd — connections
// per client address (direct and behind a trusted proxy), WebSockets closed
// when their login session ends, and upgrades and REST reads that do not
// wait for busy password or mail workers.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <future>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "accounts.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

/// Fast, unverified sign-up so that tests need no mail.
std::vector<std::string> unverified_args(const temp_dir& dir) {
  return with_accounts(
    local_args(dir, {"--auth.require_email_verification", "false"}));
}

std::vector<std::string> operator+(std::vector<std::string> a,
                                   const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

ws_options forwarded_for(const std::string& client) {
  ws_options o;
  o.headers["X-Forwarded-For"] = client;
  return o;
}

/// Tries to open a WebSocket; nullptr when the server refuses it.
std::unique_ptr<ws_client> try_open(std::uint16_t port, ws_options o = {}) {
  try {
    return std::make_unique<ws_client>(port, std::move(o));
  } catch (const std::exception&) {
    return nullptr;
  }
}

/// The connection works: an ENTER comes back as the room's notice.
bool answers(ws_client& c, const std::string& room,
             const std::string& sender = "alice") {
  return c.send_json(enter_frame(room, sender))
         && c.recv_where(
           [&](const json& j) {
             return j.value("type", "") == "ENTER"
                    && j.value("roomId", "") == room;
           },
           5s);
}

/// A raw upgrade request through http_request (to read a refusal's status).
http_result raw_upgrade(std::uint16_t port, const std::string& forwarded) {
  return http_request(port, "GET", "/message", {},
                      {{"Connection", "Upgrade"},
                       {"Upgrade", "websocket"},
                       {"Sec-WebSocket-Version", "13"},
                       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                       {"X-Forwarded-For", forwarded}});
}

} // namespace

// -- connections per client address ------------------------------------------

TEST(address_limits, the_connection_over_the_cap_is_refused_until_one_closes) {
  temp_dir dir;
  server_process srv{
    H2HD_PATH, local_args(dir, {"--auth.required", "false",
                                "--limits.connections_per_address", "3"})};
  std::vector<std::unique_ptr<ws_client>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(try_open(srv.port()));
    ASSERT_TRUE(open.back()) << "connection " << i << " is within the cap";
  }
  EXPECT_FALSE(try_open(srv.port())) << "the 4th from 127.0.0.1";
  // Without trusted proxies nobody can pick his address.
  EXPECT_FALSE(try_open(srv.port(), forwarded_for("198.51.100.9")));
  EXPECT_THROW(http_request(srv.port(), "GET", "/healthz"), std::exception)
    << "plain HTTP connections count too";
  EXPECT_TRUE(answers(*open[0], "r1")) << "the open ones are unharmed";
  // Closing one frees its slot (the close handshake takes a moment).
  open.pop_back();
  std::unique_ptr<ws_client> again;
  for (auto deadline = steady::now() + 5s; !again && steady::now() < deadline;)
    if (!(again = try_open(srv.port())))
      std::this_thread::sleep_for(20ms); // the server closes asynchronously
  ASSERT_TRUE(again) << "a slot came free";
  EXPECT_TRUE(answers(*again, "r1"));
  EXPECT_FALSE(try_open(srv.port())) << "and the cap holds again";
  EXPECT_EQ(srv.stop(), 0);
}

TEST(address_limits, behind_a_trusted_proxy_each_forwarded_client_has_its_cap) {
  temp_dir dir;
  server_process srv{H2HD_PATH, unverified_args(dir)
                                  + std::vector<std::string>{
                                    "--auth.required", "false",
                                    "--limits.connections_per_address", "2",
                                    "--server.trusted_proxies", "127.0.0.0/8",
                                    "--limits.login_attempts", "1"}};
  // The proxy itself is not capped: five connections from it.
  std::vector<std::unique_ptr<ws_client>> open;
  for (auto client : {"198.51.100.1", "198.51.100.1", "198.51.100.2",
                      "2001:db8:1:2::1", "2001:db8:1:2::2"}) {
    open.push_back(try_open(srv.port(), forwarded_for(client)));
    ASSERT_TRUE(open.back()) << client;
  }
  // Each forwarded client (an IPv6 one by its /64) holds at most two.
  auto refused = raw_upgrade(srv.port(), "198.51.100.1");
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_NE(refused.body.find("GLOBAL_429"), std::string::npos);
  EXPECT_EQ(raw_upgrade(srv.port(), "2001:db8:1:2:ffff::9").status, 429);
  // The rightmost untrusted hop counts, not what the client wrote first.
  EXPECT_EQ(raw_upgrade(srv.port(), "198.51.100.2, 198.51.100.1").status, 429);
  EXPECT_TRUE(try_open(srv.port(), forwarded_for("198.51.100.1, 198.51.100.2")))
    << "198.51.100.2 has a free slot";
  // The login limiter counts the forwarded client too (4 per address here).
  auto attempt = [&](const std::string& client, int i) {
    return http_request(
             srv.port(), "POST", "/auth/login",
             json{{"email", "nobody" + std::to_string(i) + "@example.com"},
                  {"password", test_password}}
               .dump(),
             {{"X-Forwarded-For", client}})
      .status;
  };
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(attempt("203.0.113.5", i), 400) << i;
  EXPECT_EQ(attempt("203.0.113.5", 4), 429);
  EXPECT_EQ(attempt("203.0.113.6", 5), 400) << "another client is not limited";
  EXPECT_EQ(srv.stop(), 0);
}

// -- the end of a login session ---------------------------------------------

TEST(session_end, logout_closes_the_sessions_websockets_with_1008) {
  temp_dir dir;
  server_process srv{H2HD_PATH, unverified_args(dir)};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto other = log_in(srv.port(), "alice@example.com"); // a second session
  ws_client first{srv.port(), with_header_token(a.access_token)};
  ws_client second{srv.port(), with_header_token(a.access_token)};
  ws_client elsewhere{srv.port(), with_header_token(other.access_token)};
  ASSERT_TRUE(answers(first, "lobby"));
  ASSERT_TRUE(answers(second, "lobby"));
  ASSERT_TRUE(answers(elsewhere, "lobby"));
  auto logged_out = steady::now();
  auto out
    = rest(srv.port(), "POST", "/auth/logout", json::object(), a.access_token);
  EXPECT_EQ(out.status, 200) << out.raw;
  for (auto* c : {&first, &second}) {
    auto err = next_error(*c, 3s);
    ASSERT_TRUE(err) << "an ERROR before the close";
    EXPECT_EQ((*err)["code"], "GLOBAL_103");
    EXPECT_EQ(c->wait_closed(3s), std::optional<std::uint16_t>{1008});
  }
  EXPECT_LT(steady::now() - logged_out, 3s);
  EXPECT_FALSE(elsewhere.closed());
  EXPECT_TRUE(answers(elsewhere, "lobby2")) << "another session stays open";
  // And the logged-out token cannot connect again.
  ws_client late{srv.port(), with_header_token(a.access_token)};
  auto err = next_error(late, 3s);
  ASSERT_TRUE(err);
  EXPECT_EQ((*err)["code"], "GLOBAL_103");
  EXPECT_EQ(late.wait_closed(3s), std::optional<std::uint16_t>{1008});
  EXPECT_EQ(srv.stop(), 0);
}

TEST(session_end, a_reused_refresh_token_closes_the_sessions_websockets) {
  temp_dir dir;
  // No grace: the replay comes within milliseconds of the rotation.
  server_process srv{H2HD_PATH,
                     unverified_args(dir)
                       + std::vector<std::string>{
                         "--auth.refresh_reuse_grace_ms", "0"}};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto rotated
    = rest(srv.port(), "POST", "/auth/reissueToken",
           json{{"member_id", a.id}, {"refresh_token", a.refresh_token}});
  EXPECT_EQ(rotated.status, 200) << rotated.raw;
  std::string access = rotated.body.value("access_token", "");
  ws_client socket{srv.port(), with_header_token(access)};
  ASSERT_TRUE(answers(socket, "lobby"));
  auto reused = steady::now();
  // Someone replays the first refresh token: the whole session ends.
  auto refused
    = rest(srv.port(), "POST", "/auth/reissueToken",
           json{{"member_id", a.id}, {"refresh_token", a.refresh_token}});
  EXPECT_EQ(refused.status, 401) << refused.raw;
  EXPECT_EQ(refused.body.value("code", ""), "AUTH_007");
  auto err = next_error(socket, 3s);
  ASSERT_TRUE(err) << "an ERROR before the close";
  EXPECT_EQ((*err)["code"], "GLOBAL_103");
  EXPECT_EQ(socket.wait_closed(3s), std::optional<std::uint16_t>{1008});
  EXPECT_LT(steady::now() - reused, 3s);
  EXPECT_EQ(srv.stop(), 0);
}

// -- password and mail work apart from the store workers ---------------------

TEST(auth_workers, a_hung_mail_server_stalls_neither_upgrades_nor_rest) {
  temp_dir dir;
  // An SMTP server that accepts connections (the kernel does) and never
  // says a word: every mail hangs until smtp.timeout_ms.
  boost::asio::io_context ioc;
  auto mute = std::make_unique<boost::asio::ip::tcp::acceptor>(
    ioc, boost::asio::ip::tcp::endpoint{
           boost::asio::ip::make_address("127.0.0.1"), 0});
  // Not inherited by h2hd: closing it here must really close it.
  fcntl(mute->native_handle(), F_SETFD, FD_CLOEXEC);
  auto smtp_port = mute->local_endpoint().port();
  server_process srv{
    H2HD_PATH,
    unverified_args(dir)
      + std::vector<std::string>{
        "--smtp.url", "smtp://127.0.0.1:" + std::to_string(smtp_port),
        "--smtp.timeout_ms", "30000", "--smtp.workers", "1", "--smtp.queue_max",
        "2", "--limits.code_requests", "10"}};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto request_code = [&srv](int i) {
    return std::async(std::launch::async, [&srv, i] {
      try {
        return http_request(
                 srv.port(), "POST", "/auth/emailVerificationCode",
                 json{{"email", "m" + std::to_string(i) + "@example.com"}}
                   .dump())
          .status;
      } catch (const std::exception&) {
        return -1; // the client's own timeout
      }
    });
  };
  // The first mail hangs on the mail worker: the mute server has its
  // connection (accepted here, never answered).
  std::vector<std::future<int>> mails;
  mails.push_back(request_code(0));
  boost::asio::ip::tcp::socket hung{ioc};
  bool accepted = false;
  mute->async_accept(hung,
                     [&](boost::system::error_code ec) { accepted = !ec; });
  ioc.run_for(5s);
  ASSERT_TRUE(accepted) << "h2hd never connected to the mail server";
  // Five more at once: two wait for the worker, three are refused at once.
  // Before, every mail took one of the four store workers.
  for (int i = 1; i < 6; ++i)
    mails.push_back(request_code(i));
  int refused = 0;
  auto answered_by = steady::now() + 3s;
  for (auto& m : mails)
    if (m.wait_until(answered_by) == std::future_status::ready
        && m.get() == 503)
      ++refused;
  EXPECT_EQ(refused, 3) << "a full mail queue answers 503 at once";
  // Meanwhile a REST call on the store workers and an upgrade go through.
  auto start = steady::now();
  auto verified = http_request(srv.port(), "GET", "/auth/verifyAccessToken", {},
                               {{"Authorization", "Bearer " + a.access_token}});
  EXPECT_EQ(verified.status, 200) << verified.body;
  EXPECT_LT(steady::now() - start, 2s);
  start = steady::now();
  auto ws = try_open(srv.port(), with_header_token(a.access_token));
  ASSERT_TRUE(ws);
  EXPECT_TRUE(answers(*ws, "lobby"));
  EXPECT_LT(steady::now() - start, 3s);
  // A login (the password workers) is not stuck behind the mail either.
  start = steady::now();
  log_in(srv.port(), "alice@example.com");
  EXPECT_LT(steady::now() - start, 3s);
  ws.reset();
  // The mail server goes away (listener first, so that no new connection
  // lands in its backlog): the hung mails fail and answer 503.
  mute.reset();
  boost::system::error_code ignored;
  hung.close(ignored);
  for (auto& m : mails) {
    if (m.valid()) {
      ASSERT_EQ(m.wait_for(10s), std::future_status::ready);
      EXPECT_EQ(m.get(), 503);
    }
  }
  EXPECT_EQ(srv.stop(), 0);
}
