// The FCM sender against a local fake FCM + OAuth2 server (a real HTTP
// server on 127.0.0.1:0): the JWT it receives, the message it posts, token
// caching and refresh, many requests at once.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "fake_google.hpp"
#include "net/outbound/fcm_sender.hpp"
#include "net/security/crypto.hpp"

using namespace h2h;
using namespace h2h::net;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

push_request sample(std::string token = "device-1") {
  push_request r;
  r.token = std::move(token);
  r.room_id = "room-7";
  r.room_name = "Family";
  r.seq = 3;
  r.sender_id = 5;
  r.sender = "alice";
  r.text = "hi";
  return r;
}

std::string decode(const std::string& part) {
  std::string out;
  EXPECT_TRUE(crypto::base64url_decode(part, out));
  return out;
}

/// Sends one request and waits (bounded) for its outcome.
push_outcome send_one(fcm_sender& s, push_request r) {
  auto done = std::make_shared<std::promise<push_outcome>>();
  auto f = done->get_future();
  s.send(std::move(r), [done](push_outcome o) { done->set_value(o); });
  if (f.wait_for(10s) != std::future_status::ready)
    return {push_result::failed, -1, "test: no outcome within 10 s"};
  return f.get();
}

struct FcmSender : ::testing::Test {
  test::fake_google google;
  std::atomic<std::int64_t> now{1'800'000'000'000};
  fcm_settings settings() {
    fcm_settings s;
    s.endpoint = google.server.url();
    s.ttl_s = 600;
    s.timeout = 5000ms;
    s.now_ms = [this] { return now.load(); };
    return s;
  }
};

} // namespace

TEST_F(FcmSender, TheJwtVerifiesWithThePublicKeyAndCarriesTheClaims) {
  fcm_sender s{google.account(), settings()};
  auto o = send_one(s, sample());
  EXPECT_EQ(o.result, push_result::ok) << o.detail;
  auto tokens = google.server.requests_to("/token");
  ASSERT_EQ(tokens.size(), 1u);
  auto& t = tokens[0];
  EXPECT_EQ(t.method, "POST");
  EXPECT_EQ(t.headers["content-type"], "application/x-www-form-urlencoded");
  const std::string grant
    = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";
  ASSERT_EQ(t.body.rfind(grant + "&assertion=", 0), 0u) << t.body;
  auto jwt = t.body.substr(grant.size() + std::string{"&assertion="}.size());
  auto dot1 = jwt.find('.');
  auto dot2 = jwt.find('.', dot1 + 1);
  ASSERT_NE(dot2, std::string::npos);
  EXPECT_TRUE(test::rs256_verifies(google.keys.public_pem, jwt.substr(0, dot2),
                                   decode(jwt.substr(dot2 + 1))));
  auto header = json::parse(decode(jwt.substr(0, dot1)));
  EXPECT_EQ(header["alg"], "RS256");
  auto claims = json::parse(decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)));
  EXPECT_EQ(claims["iss"], test::fake_google::email);
  EXPECT_EQ(claims["scope"],
            "https://www.googleapis.com/auth/firebase.messaging");
  EXPECT_EQ(claims["aud"], google.token_uri());
  EXPECT_EQ(claims["iat"], now.load() / 1000);
  EXPECT_EQ(claims["exp"], now.load() / 1000 + 3600);
}

TEST_F(FcmSender, TheMessageIsPostedWithTheBearerTokenAndTheFields) {
  fcm_sender s{google.account(), settings()};
  EXPECT_EQ(send_one(s, sample()).result, push_result::ok);
  auto posts = google.server.requests_to("/v1/");
  ASSERT_EQ(posts.size(), 1u);
  auto& p = posts[0];
  EXPECT_EQ(p.method, "POST");
  EXPECT_EQ(p.target, "/v1/projects/p-1/messages:send");
  EXPECT_EQ(p.headers["authorization"], "Bearer tok-1");
  auto m = json::parse(p.body)["message"];
  EXPECT_EQ(m["token"], "device-1");
  EXPECT_EQ(m["notification"]["title"], "Family");
  EXPECT_EQ(m["notification"]["body"], "alice: hi");
  EXPECT_EQ(m["data"]["roomId"], "room-7");
  EXPECT_EQ(m["data"]["seq"], "3");
  EXPECT_EQ(m["data"]["senderId"], "5");
  EXPECT_EQ(m["data"]["sender"], "alice");
  EXPECT_EQ(m["data"]["type"], "message");
  EXPECT_EQ(m["android"]["collapse_key"], "room-7");
  EXPECT_EQ(m["android"]["notification"]["tag"], "room-7");
  EXPECT_EQ(m["android"]["ttl"], "600s");
}

TEST_F(FcmSender, TheTokenIsCachedAndFetchedAgainWhenItExpires) {
  fcm_sender s{google.account(), settings()};
  EXPECT_EQ(send_one(s, sample()).result, push_result::ok);
  EXPECT_EQ(send_one(s, sample()).result, push_result::ok);
  EXPECT_EQ(google.server.requests_to("/token").size(), 1u);
  now += 3600 * 1000; // past expires_in
  EXPECT_EQ(send_one(s, sample()).result, push_result::ok);
  EXPECT_EQ(google.server.requests_to("/token").size(), 2u);
  auto posts = google.server.requests_to("/v1/");
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(posts[1].headers["authorization"], "Bearer tok-1");
  EXPECT_EQ(posts[2].headers["authorization"], "Bearer tok-2");
}

TEST_F(FcmSender, A401RefreshesTheTokenOnceAndRepeatsTheRequest) {
  google.refused_tokens = {"tok-1"};
  fcm_sender s{google.account(), settings()};
  auto o = send_one(s, sample());
  EXPECT_EQ(o.result, push_result::ok) << o.detail;
  EXPECT_EQ(google.server.requests_to("/token").size(), 2u);
  auto posts = google.server.requests_to("/v1/");
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[1].headers["authorization"], "Bearer tok-2");
}

TEST_F(FcmSender, ARefusedFreshTokenIsAnAuthFailureNotALoop) {
  google.refused_tokens = {"tok-1", "tok-2", "tok-3"};
  fcm_sender s{google.account(), settings()};
  EXPECT_EQ(send_one(s, sample()).result, push_result::auth);
  EXPECT_EQ(google.server.requests_to("/token").size(), 2u);
  EXPECT_EQ(google.server.requests_to("/v1/").size(), 2u);
}

TEST_F(FcmSender, AnswersAreClassified) {
  google.script(503, "", {{"Retry-After", "2"}});
  google.script(404, R"({"error":{"code":404,"status":"NOT_FOUND","details":[
    {"errorCode":"UNREGISTERED"}]}})");
  fcm_sender s{google.account(), settings()};
  auto o = send_one(s, sample());
  EXPECT_EQ(o.result, push_result::retry);
  EXPECT_EQ(o.retry_after_ms, 2000);
  EXPECT_EQ(send_one(s, sample()).result, push_result::token_gone);
}

TEST_F(FcmSender, AnUnreachableProviderIsARetry) {
  auto cfg = settings();
  cfg.endpoint = "http://127.0.0.1:1"; // nothing listens on port 1
  fcm_sender s{google.account(), cfg};
  EXPECT_EQ(send_one(s, sample()).result, push_result::retry);
}

TEST_F(FcmSender, ManyRequestsAreInFlightAtOnce) {
  auto cfg = settings();
  cfg.max_in_flight = 20;
  fcm_sender s{google.account(), cfg};
  // The token first, so that the burst below is all FCM requests.
  ASSERT_EQ(send_one(s, sample()).result, push_result::ok);
  {
    std::lock_guard<std::mutex> guard{google.mtx};
    for (int i = 0; i < 20; ++i)
      google.fcm_script.push_back(
        {200, {}, R"({"name":"x"})", std::chrono::milliseconds{300}});
  }
  std::vector<std::future<push_outcome>> outcomes;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    auto p = std::make_shared<std::promise<push_outcome>>();
    outcomes.push_back(p->get_future());
    s.send(sample("d" + std::to_string(i)),
           [p](push_outcome o) { p->set_value(o); });
  }
  for (auto& f : outcomes) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(f.get().result, push_result::ok);
  }
  auto took = std::chrono::steady_clock::now() - start;
  // One at a time would take 20 * 300 ms = 6 s.
  EXPECT_LT(took, 3s);
  EXPECT_GE(google.server.max_concurrent(), 10);
}

TEST_F(FcmSender, AFullSenderRefusesAtOnceAndDeliversWhatItTook) {
  // The token endpoint is slow: while the sender's thread waits for it,
  // requests pile up before the wire.
  google.token_delay = 500ms;
  auto cfg = settings();
  cfg.max_waiting = 2;
  fcm_sender s{google.account(), cfg};
  std::vector<std::future<push_outcome>> outcomes;
  auto send = [&](int i) {
    auto p = std::make_shared<std::promise<push_outcome>>();
    outcomes.push_back(p->get_future());
    s.send(sample("d" + std::to_string(i)),
           [p](push_outcome o) { p->set_value(o); });
  };
  // The first request takes the sender's thread into the token fetch; only
  // then come the others, so that exactly two of them find room.
  send(0);
  ASSERT_TRUE(google.wait_for_token_requests(1, 10s));
  for (int i = 1; i < 5; ++i)
    send(i);
  std::vector<std::string> got;
  for (auto& f : outcomes) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    auto o = f.get();
    got.push_back(o.result == push_result::ok ? "ok" : o.detail);
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{"ok", "ok", "ok", "sender queue full",
                                      "sender queue full"}));
}
