// Integration: Server-Sent Events (GET /chat/room/{roomId}/events) against
// a real h2hd on port 0, read by a plain HTTP client.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <set>
#include <thread>

#include "accounts.hpp"
#include "process.hpp"
#include "sse_client.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> auth_args(const temp_dir& dir,
                                   std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--auth.require_email_verification",
                                "false",
                                "--limits.messages_per_second",
                                "100000",
                                "--limits.message_burst",
                                "100000"};
  args.insert(args.end(), more.begin(), more.end());
  return with_accounts(local_args(dir, args));
}

std::string events_of(const std::string& room) {
  return "/chat/room/" + room + "/events";
}

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

/// A public room created over REST by `owner`.
std::string public_room(std::uint16_t port, const member& owner) {
  auto r = rest(port, "POST", "/chat/room", json{{"name", "open"}},
                owner.access_token);
  EXPECT_EQ(r.status, 201) << r.raw;
  return r.body.value("roomId", "");
}

/// An HTTP send; returns its seq (0 when not 201).
std::uint64_t post(std::uint16_t port, const std::string& room,
                   const std::string& token, const std::string& text,
                   const std::string& cmid = {}) {
  json body{{"message", text}};
  if (!cmid.empty())
    body["clientMsgId"] = cmid;
  auto r = rest(port, "POST", "/chat/room/" + room + "/message", body, token);
  EXPECT_EQ(r.status, 201) << r.raw;
  return r.status == 201 ? r.body.value("seq", 0ull) : 0;
}

/// The next MESSAGE event of the stream (ENTER/EXIT notices skipped).
std::optional<sse_event> next_message(sse_client& c,
                                      std::chrono::milliseconds t = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + t;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto ev = c.next_event(left);
    if (!ev || ev->event == "MESSAGE")
      return ev;
  }
}

} // namespace

TEST(sse, live_events_arrive_with_id_event_and_the_raw_json_data) {
  temp_dir dir;
  server_process srv{H2HD_PATH, auth_args(dir)};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto b = sign_up_unverified(srv.port(), "bob");
  auto room = public_room(srv.port(), a);
  sse_client reader{srv.port(), events_of(room), bearer(b.access_token)};
  ASSERT_EQ(reader.status(), 200) << reader.head();
  EXPECT_EQ(header_value(reader.head(), "Content-Type"), "text/event-stream");
  EXPECT_EQ(header_value(reader.head(), "Cache-Control"), "no-cache");
  EXPECT_EQ(header_value(reader.head(), "X-Accel-Buffering"), "no");
  // The reader's own ENTER notice comes first: it is in the room.
  auto entered = reader.next_event();
  ASSERT_TRUE(entered);
  EXPECT_EQ(entered->event, "ENTER");
  EXPECT_EQ(json::parse(entered->data)["senderId"], b.id);

  ws_client alice{srv.port(), with_header_token(a.access_token)};
  ASSERT_TRUE(alice.send_json(enter_frame(room, "alice")));
  ASSERT_TRUE(
    alice.send_json(message_frame(room, "alice", "hi\nthere", "c-1")));
  auto broadcast = alice.recv_where(
    [](const json& j) { return j.value("type", "") == "MESSAGE"; });
  ASSERT_TRUE(broadcast);
  auto alice_in = reader.next_event();
  ASSERT_TRUE(alice_in);
  EXPECT_EQ(alice_in->event, "ENTER");
  auto msg = reader.next_event();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->event, "MESSAGE");
  EXPECT_EQ(msg->id, std::to_string((*broadcast)["seq"].get<std::uint64_t>()));
  // The data is the broadcast of §2.1, byte for byte.
  EXPECT_EQ(json::parse(msg->data), *broadcast);
  EXPECT_EQ(json::parse(msg->data)["message"], "hi\nthere");
}

TEST(sse, resumes_after_last_event_id_without_gap_or_duplicate) {
  temp_dir dir;
  server_process srv{H2HD_PATH, auth_args(dir)};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto b = sign_up_unverified(srv.port(), "bob");
  auto room = public_room(srv.port(), a);
  // Messages keep coming while the reader is away and back.
  const int total = 150;
  std::atomic<int> sent{0};
  std::thread writer([&] {
    for (int i = 0; i < total; ++i) {
      post(srv.port(), room, a.access_token, "m" + std::to_string(i));
      sent = i + 1;
      std::this_thread::sleep_for(2ms);
    }
  });
  std::vector<std::string> texts;
  std::vector<std::uint64_t> ids;
  auto take = [&](sse_client& c, std::size_t until) {
    while (texts.size() < until) {
      auto ev = next_message(c, 10000ms);
      if (!ev)
        return false;
      ids.push_back(std::stoull(ev->id));
      texts.push_back(json::parse(ev->data)["message"]);
    }
    return true;
  };
  {
    sse_client first{srv.port(), events_of(room), bearer(b.access_token)};
    ASSERT_EQ(first.status(), 200);
    // Wait for a first message, then read a few.
    ASSERT_TRUE(take(first, 1));
    ASSERT_TRUE(take(first, 20));
  } // disconnects
  while (sent < 60)
    std::this_thread::sleep_for(5ms);
  {
    auto headers = bearer(b.access_token);
    headers["Last-Event-ID"] = std::to_string(ids.back());
    sse_client second{srv.port(), events_of(room), headers};
    ASSERT_EQ(second.status(), 200);
    ASSERT_TRUE(take(second, 80));
  }
  while (sent < 110)
    std::this_thread::sleep_for(5ms);
  {
    // The query form, as EventSource polyfills send it.
    sse_client third{srv.port(),
                     events_of(room)
                       + "?lastEventId=" + std::to_string(ids.back()),
                     bearer(b.access_token)};
    ASSERT_EQ(third.status(), 200);
    ASSERT_TRUE(take(third, static_cast<std::size_t>(total) - 0));
  }
  writer.join();
  // Every message once, in order: texts are m<first>..m149 with nothing
  // missing or repeated after the first one read.
  ASSERT_FALSE(texts.empty());
  auto first_no = std::stoi(texts.front().substr(1));
  ASSERT_EQ(texts.size(), static_cast<std::size_t>(total - first_no));
  for (std::size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(texts[i], "m" + std::to_string(first_no + static_cast<int>(i)));
  for (std::size_t i = 1; i < ids.size(); ++i)
    EXPECT_LT(ids[i - 1], ids[i]);
}

TEST(sse, a_token_in_the_query_opens_the_stream) {
  temp_dir dir;
  server_process srv{H2HD_PATH, auth_args(dir)};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto room = public_room(srv.port(), a);
  sse_client reader{srv.port(),
                    events_of(room) + "?access_token=" + a.access_token};
  ASSERT_EQ(reader.status(), 200) << reader.head();
  auto seq = post(srv.port(), room, a.access_token, "via query");
  auto msg = next_message(reader);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->id, std::to_string(seq));
}

TEST(sse, refusals_are_plain_http_errors) {
  temp_dir dir;
  server_process srv{H2HD_PATH, auth_args(dir)};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto b = sign_up_unverified(srv.port(), "bob");
  auto room = public_room(srv.port(), a);
  auto code_of = [](const sse_client& c) {
    return json::parse(c.body()).value("code", "");
  };
  {
    sse_client c{srv.port(), events_of(room)};
    EXPECT_EQ(c.status(), 400);
    EXPECT_EQ(code_of(c), "GLOBAL_103");
  }
  {
    sse_client c{srv.port(), events_of(room), bearer("not.a.token")};
    EXPECT_EQ(c.status(), 400);
    EXPECT_EQ(code_of(c), "GLOBAL_103");
  }
  {
    sse_client c{srv.port(), events_of("nobody-made-this"),
                 bearer(a.access_token)};
    EXPECT_EQ(c.status(), 404);
    EXPECT_EQ(code_of(c), "CHAT_001");
  }
  {
    auto headers = bearer(a.access_token);
    headers["Last-Event-ID"] = "soon";
    sse_client c{srv.port(), events_of(room), headers};
    EXPECT_EQ(c.status(), 400);
    EXPECT_EQ(code_of(c), "GLOBAL_002");
  }
  auto secret
    = rest(srv.port(), "POST", "/chat/room",
           json{{"name", "secret"}, {"private", true}}, a.access_token);
  ASSERT_EQ(secret.status, 201) << secret.raw;
  std::string secret_id = secret.body["roomId"];
  {
    sse_client c{srv.port(), events_of(secret_id), bearer(b.access_token)};
    EXPECT_EQ(c.status(), 403);
    EXPECT_EQ(code_of(c), "CHAT_002");
  }
  {
    sse_client c{srv.port(), events_of(secret_id), bearer(a.access_token)};
    EXPECT_EQ(c.status(), 200) << "the owner is a member";
  }
  // A logged-out session cannot open a stream.
  ASSERT_EQ(rest(srv.port(), "POST", "/auth/logout", {}, b.access_token).status,
            200);
  sse_client gone{srv.port(), events_of(room), bearer(b.access_token)};
  EXPECT_EQ(gone.status(), 400);
  EXPECT_EQ(code_of(gone), "GLOBAL_103");
}

TEST(sse, keep_alive_comments_come_on_an_idle_stream) {
  temp_dir dir;
  server_process srv{H2HD_PATH, auth_args(dir, {"--sse.keepalive_s", "1"})};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto room = public_room(srv.port(), a);
  sse_client reader{srv.port(), events_of(room), bearer(a.access_token)};
  ASSERT_EQ(reader.status(), 200);
  int comments = 0;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (comments < 2 && std::chrono::steady_clock::now() < deadline) {
    auto block = reader.next(1500ms);
    if (block && block->is_comment()) {
      EXPECT_EQ(block->comment, "keep-alive");
      ++comments;
    }
  }
  EXPECT_EQ(comments, 2) << "two keep-alives within 5 s at a 1 s interval";
}

TEST(sse, a_reader_that_does_not_read_is_cut_and_others_get_everything) {
  temp_dir dir;
  server_process srv{
    H2HD_PATH, auth_args(dir, {"--limits.outbound_queue_bytes", "65536"})};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto b = sign_up_unverified(srv.port(), "bob");
  auto room = public_room(srv.port(), a);
  sse_client slow{srv.port(), events_of(room), bearer(b.access_token), 4096};
  ASSERT_EQ(slow.status(), 200);
  sse_client fast{srv.port(), events_of(room), bearer(a.access_token)};
  ASSERT_EQ(fast.status(), 200);
  ws_client writer{srv.port(), with_header_token(a.access_token)};
  ASSERT_TRUE(writer.send_json(enter_frame(room, "alice")));
  const std::string text(2000, 'z');
  const int count = 3000;
  int acked = 0;
  std::size_t got = 0;
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(
      writer.send_json(message_frame(room, "alice", text, std::to_string(i))));
    if (i % 20 == 19 || i == count - 1) {
      while (acked < i + 1) {
        auto j = writer.recv_json(10000ms);
        if (j["type"] == "ACK")
          ++acked;
      }
      // The fast reader keeps up.
      while (got < static_cast<std::size_t>(acked)) {
        auto ev = next_message(fast, 10000ms);
        ASSERT_TRUE(ev) << "fast reader stalled at " << got;
        ++got;
      }
    }
  }
  EXPECT_EQ(got, static_cast<std::size_t>(count));
  // The slow reader's stream ends (no close code: the connection closes).
  EXPECT_TRUE(slow.closed_within(20000ms));
}

TEST(sse, shutdown_ends_streams_cleanly) {
  temp_dir dir;
  server_process srv{H2HD_PATH, auth_args(dir)};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto room = public_room(srv.port(), a);
  sse_client reader{srv.port(), events_of(room), bearer(a.access_token)};
  ASSERT_EQ(reader.status(), 200);
  ASSERT_TRUE(reader.next_event()); // in the room
  srv.signal(SIGTERM);
  bool told = false;
  while (auto block = reader.next(5000ms))
    if (block->is_comment() && block->comment == "server shutting down")
      told = true;
  EXPECT_TRUE(told);
  EXPECT_TRUE(reader.eof());
  EXPECT_EQ(srv.wait(10s), std::optional<int>{0});
}

TEST(sse, an_expired_token_ends_the_stream) {
  temp_dir dir;
  server_process srv{H2HD_PATH,
                     auth_args(dir, {"--auth.access_token_ttl_s", "10"})};
  auto a = sign_up_unverified(srv.port(), "alice");
  auto room = public_room(srv.port(), a);
  sse_client reader{srv.port(), events_of(room), bearer(a.access_token)};
  ASSERT_EQ(reader.status(), 200);
  std::optional<sse_event> error;
  // The shortest lifetime allowed is 10 s; the end comes within 1 s of it.
  while (auto ev = reader.next_event(16000ms))
    if (ev->event == "error")
      error = ev;
  ASSERT_TRUE(error);
  EXPECT_EQ(json::parse(error->data)["code"], "GLOBAL_104");
  EXPECT_TRUE(reader.eof());
}
