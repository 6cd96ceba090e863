// FCM HTTP v1 as pure functions: the message body and what an answer means.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "net/outbound/fcm_message.hpp"

using namespace h2h;
using namespace h2h::net;
using json = nlohmann::json;

namespace {

push_request sample() {
  push_request r;
  r.token = "dev-token";
  r.room_id = "room-7";
  r.room_name = "Family";
  r.seq = 42;
  r.sender_id = 5;
  r.sender = "alice";
  r.text = "see you at eight";
  return r;
}

} // namespace

TEST(FcmBody, HasNotificationDataAndAndroidFields) {
  auto doc = json::parse(fcm_body(sample(), 3600));
  auto& m = doc["message"];
  EXPECT_EQ(m["token"], "dev-token");
  EXPECT_EQ(m["notification"]["title"], "Family");
  EXPECT_EQ(m["notification"]["body"], "alice: see you at eight");
  EXPECT_EQ(m["data"]["roomId"], "room-7");
  EXPECT_EQ(m["data"]["seq"], "42");
  EXPECT_EQ(m["data"]["senderId"], "5");
  EXPECT_EQ(m["data"]["sender"], "alice");
  EXPECT_EQ(m["data"]["type"], "message");
  EXPECT_EQ(m["android"]["collapse_key"], "room-7");
  EXPECT_EQ(m["android"]["notification"]["tag"], "room-7");
  EXPECT_EQ(m["android"]["ttl"], "3600s");
  for (auto& [k, v] : m["data"].items())
    EXPECT_TRUE(v.is_string()) << k; // FCM's data values are strings
}

TEST(FcmBody, WithoutARoomNameTheTitleIsTheSender) {
  auto r = sample();
  r.room_name.clear();
  auto m = json::parse(fcm_body(r, 60))["message"];
  EXPECT_EQ(m["notification"]["title"], "alice");
  EXPECT_EQ(m["notification"]["body"], "see you at eight");
}

TEST(FcmBody, InvalidUtf8DoesNotThrow) {
  auto r = sample();
  r.text = "bad \xC3";
  EXPECT_NO_THROW(json::parse(fcm_body(r, 60)));
}

TEST(FcmCutText, ShortTextIsKept) {
  EXPECT_EQ(cut_text("hello", 5), "hello");
  EXPECT_EQ(cut_text("", 5), "");
}

TEST(FcmCutText, LongTextIsCutOnACodePointWithAnEllipsis) {
  EXPECT_EQ(cut_text("hello world", 5), "hell\u2026");
  // Four-byte emoji and two-byte letters are never split.
  std::string s = "\xF0\x9F\x98\x80\xC3\xA9\xF0\x9F\x98\x80\xC3\xA9";
  EXPECT_EQ(cut_text(s, 3), "\xF0\x9F\x98\x80\xC3\xA9\u2026");
  EXPECT_EQ(cut_text(s, 4), s);
}

TEST(FcmCutText, TheBodyIsAtMostTheLimitInCodePoints) {
  auto r = sample();
  r.room_name.clear();
  r.text.clear();
  for (int i = 0; i < 500; ++i)
    r.text += "\xC3\xA9";
  auto body = json::parse(fcm_body(r, 60))["message"]["notification"]["body"]
                .get<std::string>();
  std::size_t cps = 0;
  for (unsigned char c : body)
    cps += (c & 0xC0) != 0x80;
  EXPECT_EQ(cps, push_body_max_chars);
}

TEST(FcmSendUrl, IsBuiltFromEndpointAndProject) {
  EXPECT_EQ(fcm_send_url("http://127.0.0.1:5/", "p-1"),
            "http://127.0.0.1:5/v1/projects/p-1/messages:send");
}

TEST(FcmClassify, OkRetryGoneAuthFailed) {
  EXPECT_EQ(classify_fcm_answer(200, "", R"({"name":"x"})", 0).result,
            push_result::ok);
  auto r = classify_fcm_answer(503, " 7\r\n", "", 0);
  EXPECT_EQ(r.result, push_result::retry);
  EXPECT_EQ(r.retry_after_ms, 7000);
  EXPECT_EQ(classify_fcm_answer(429, "", "", 0).retry_after_ms, -1);
  EXPECT_EQ(classify_fcm_answer(0, "", "", 0).result, push_result::retry);
  EXPECT_EQ(classify_fcm_answer(404, "", "", 0).result,
            push_result::token_gone);
  auto unregistered = R"({"error":{"code":404,"status":"NOT_FOUND",
    "details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError",
    "errorCode":"UNREGISTERED"}]}})";
  EXPECT_EQ(classify_fcm_answer(404, "", unregistered, 0).result,
            push_result::token_gone);
  auto bad_token = R"({"error":{"code":400,"status":"INVALID_ARGUMENT",
    "message":"The registration token is not a valid FCM registration token",
    "details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError",
    "errorCode":"INVALID_ARGUMENT"}]}})";
  EXPECT_EQ(classify_fcm_answer(400, "", bad_token, 0).result,
            push_result::token_gone);
  auto bad_ttl = R"({"error":{"code":400,"status":"INVALID_ARGUMENT",
    "message":"Invalid value at 'message.android.ttl'"}})";
  EXPECT_EQ(classify_fcm_answer(400, "", bad_ttl, 0).result,
            push_result::failed);
  EXPECT_EQ(classify_fcm_answer(401, "", "", 0).result, push_result::auth);
  EXPECT_EQ(classify_fcm_answer(403, "", "", 0).result, push_result::auth);
  EXPECT_EQ(classify_fcm_answer(413, "", "", 0).result, push_result::failed);
}

TEST(FcmRetryAfter, SecondsOrAnHttpDate) {
  EXPECT_EQ(parse_retry_after("120", 0), 120000);
  EXPECT_EQ(parse_retry_after("99999999999", 0), 3600000); // capped
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770),
            7000);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111790), 0);
  EXPECT_EQ(parse_retry_after("soon", 0), -1);
  EXPECT_EQ(parse_retry_after("", 0), -1);
}
