// The WebSocket transport over a real loopback socket pair (127.0.0.1, port
// 0): text reaches its user, the outbound byte limit closes with 4008, and
// a peer that fails at any point of the stream ends it cleanly (the user
// hears on_gone once, and the transport is freed).
#include "net/ws/ws_transport.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

using namespace h2h;
using namespace h2h::net;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// Records what the transport hands its user.
struct recording_user : transport_user {
  std::vector<std::string> texts;
  int gone = 0;
  bool hand_over = true;

  bool on_text(std::string& text) override {
    texts.push_back(text);
    return hand_over;
  }
  void on_gone() override {
    ++gone;
  }
};

/// A connected pair: `server` for the transport, `client` blocking.
struct socket_pair {
  asio::io_context client_io;
  tcp::socket client{client_io};
  tcp::socket server;

  explicit socket_pair(asio::io_context& server_io)
    : server(server_io) {
    tcp::acceptor acc(server_io, {asio::ip::make_address("127.0.0.1"), 0});
    client.connect(acc.local_endpoint());
    acc.accept(server);
  }
};

std::string client_text(const std::string& text) {
  return ws::encode_client_frame(ws::opcode::text, text, 0x11223344);
}

/// Every test runs twice: each connection writing on its own, and the I/O
/// thread's writes handed to the kernel together (io_uring; where the
/// kernel refuses it, the same as the first).
struct ws_transport_test : ::testing::TestWithParam<bool> {
  io_worker worker{io_settings{{}, GetParam()}};
  ws_settings settings;
  net_counters counters;

  std::shared_ptr<ws_transport> make(socket_pair& p) {
    return std::make_shared<ws_transport>(std::move(p.server), worker, settings,
                                          counters);
  }

  void run() {
    worker.io.restart();
    worker.io.run_for(std::chrono::seconds{5});
  }
};

} // namespace

TEST_P(ws_transport_test, text_reaches_the_user_and_sends_reach_the_peer) {
  socket_pair p{worker.io};
  auto t = make(p);
  auto user = std::make_shared<recording_user>();
  t->start(user, {});
  auto frame = client_text("hello");
  asio::write(p.client, asio::buffer(frame));
  worker.io.restart();
  worker.io.run_for(std::chrono::milliseconds{200});
  ASSERT_EQ(user->texts, (std::vector<std::string>{"hello"}));
  t->release();
  t->send(std::make_shared<const std::string>("world"));
  worker.io.restart();
  worker.io.run_for(std::chrono::milliseconds{200});
  char head[7];
  asio::read(p.client, asio::buffer(head));
  EXPECT_EQ(static_cast<unsigned char>(head[0]), 0x81);
  EXPECT_EQ(head[1], 5);
  EXPECT_EQ(std::string(head + 2, 5), "world");
  p.client.close();
  run();
  EXPECT_EQ(user->gone, 1);
  EXPECT_EQ(counters.ws_closed.load(), 1u);
}

TEST_P(ws_transport_test,
       a_message_in_two_parts_reaches_the_peer_as_one_frame) {
  socket_pair p{worker.io};
  auto t = make(p);
  auto user = std::make_shared<recording_user>();
  t->start(user, {});
  t->send(wire_message{std::make_shared<const std::string>("MSG "),
                       std::make_shared<const std::string>("shared")});
  worker.io.restart();
  worker.io.run_for(std::chrono::milliseconds{200});
  char head[12];
  asio::read(p.client, asio::buffer(head));
  EXPECT_EQ(static_cast<unsigned char>(head[0]), 0x81);
  EXPECT_EQ(head[1], 10);
  EXPECT_EQ(std::string(head + 2, 10), "MSG shared");
  p.client.close();
  run();
}

TEST_P(ws_transport_test, past_the_outbound_byte_limit_it_closes_with_4008) {
  settings.outbound_queue_bytes = 1000;
  socket_pair p{worker.io};
  auto t = make(p);
  auto user = std::make_shared<recording_user>();
  t->start(user, {});
  // Queued faster than the I/O thread can write (it is not running).
  auto chunk = std::make_shared<const std::string>(std::string(300, 'x'));
  std::vector<wire_message> batch(5, chunk);
  t->send(batch.data(), batch.size());
  worker.io.restart();
  worker.io.run_for(std::chrono::milliseconds{200});
  EXPECT_EQ(counters.slow_consumers.load(), 1u);
  // The unsent frames are dropped: the client reads the close, 4008.
  unsigned char head[4];
  asio::read(p.client, asio::buffer(head));
  EXPECT_EQ(head[0], 0x88);
  EXPECT_EQ(head[2] << 8 | head[3], 4008);
  p.client.close();
  run();
  EXPECT_EQ(user->gone, 1);
}

namespace {

/// Reads one unmasked server text frame of under 126 bytes (blocking).
std::string read_text(tcp::socket& s) {
  unsigned char head[2];
  asio::read(s, asio::buffer(head));
  EXPECT_EQ(head[0], 0x81);
  std::string body(head[1], '\0');
  asio::read(s, asio::buffer(body));
  return body;
}

} // namespace

/// A started transport on an I/O thread whose lazy writes wait `delay`
/// (`batched`: its writes go through io_uring).
struct lazy_connection {
  io_worker worker;
  ws_settings settings;
  net_counters counters;
  socket_pair p{worker.io};
  std::shared_ptr<ws_transport> t = std::make_shared<ws_transport>(
    std::move(p.server), worker, settings, counters);
  std::shared_ptr<recording_user> user = std::make_shared<recording_user>();

  explicit lazy_connection(std::chrono::milliseconds delay,
                           bool batched = false)
    : worker(io_settings{delay, batched}) {
    t->start(user, {});
  }

  void send_lazy(const char* text) {
    wire_message m{std::make_shared<const std::string>(text)};
    t->send_lazy(&m, 1);
  }

  void run_for(std::chrono::milliseconds d) {
    worker.io.restart();
    worker.io.run_for(d);
  }

  /// The peer leaves; the transport must end cleanly.
  void finish() {
    p.client.close();
    run_for(std::chrono::seconds{5});
    EXPECT_EQ(user->gone, 1);
  }
};

struct ws_transport_lazy : ::testing::TestWithParam<bool> {};

TEST_P(ws_transport_lazy, lazy_frames_wait_for_the_next_write_in_their_place) {
  // A delay of an hour: only another write can take the notice along.
  lazy_connection c{std::chrono::hours{1}, GetParam()};
  c.send_lazy("notice");
  c.run_for(std::chrono::milliseconds{100});
  EXPECT_EQ(c.p.client.available(), 0u);
  c.t->send(std::make_shared<const std::string>("ack"));
  c.run_for(std::chrono::milliseconds{100});
  ASSERT_GT(c.p.client.available(), 0u);
  EXPECT_EQ(read_text(c.p.client), "notice");
  EXPECT_EQ(read_text(c.p.client), "ack");
  EXPECT_EQ(c.counters.frames_out.load(), 2u);
  c.finish();
}

TEST_P(ws_transport_lazy, a_lazy_frame_alone_leaves_after_the_delay) {
  lazy_connection c{std::chrono::milliseconds{5}, GetParam()};
  c.send_lazy("a");
  c.send_lazy("b");
  // Bounded: the delay is 5 ms; a second is a lost write.
  for (int i = 0; i < 100 && c.counters.frames_out.load() < 2; ++i)
    c.run_for(std::chrono::milliseconds{10});
  ASSERT_EQ(c.counters.frames_out.load(), 2u);
  EXPECT_EQ(read_text(c.p.client), "a");
  EXPECT_EQ(read_text(c.p.client), "b");
  c.finish();
}

TEST_P(ws_transport_test, end_maps_reasons_to_close_codes) {
  EXPECT_EQ(close_of(end_reason::normal).code, 1000);
  EXPECT_EQ(close_of(end_reason::going_away).code, 1001);
  EXPECT_EQ(close_of(end_reason::slow_consumer).code, 4008);
  EXPECT_EQ(close_of(end_reason::token_expired).code, 1008);
  EXPECT_EQ(close_of(end_reason::session_ended).code, 1008);
  EXPECT_EQ(close_of(end_reason::refused).code, 1008);
  EXPECT_EQ(close_of(end_reason::internal_error).code, 1011);
  EXPECT_EQ(close_of(end_reason::kicked).code, 1008);
  EXPECT_STREQ(close_of(end_reason::kicked).reason, "kicked");
}

// A peer that fails after every prefix of its stream: the read side fails
// at each point of a frame; the transport is closing or writing meanwhile.
TEST_P(ws_transport_test, a_peer_failing_at_any_point_ends_it_cleanly) {
  std::string stream
    = client_text("first") + client_text("second")
      + ws::encode_client_frame(ws::opcode::close, std::string("\x03\xe8", 2),
                                0x01020304);
  for (std::size_t fail_count = 0; fail_count <= stream.size(); ++fail_count) {
    for (bool closing : {false, true}) {
      std::weak_ptr<ws_transport> watch;
      auto user = std::make_shared<recording_user>();
      {
        socket_pair p{worker.io};
        auto t = make(p);
        watch = t;
        if (closing)
          t->start(user, {}, end_reason::going_away);
        else
          t->start(user, {});
        t->send(std::make_shared<const std::string>("out"));
        if (fail_count > 0)
          asio::write(p.client, asio::buffer(stream.data(), fail_count));
        if (fail_count % 2 == 0) {
          // A reset instead of an orderly close.
          p.client.set_option(asio::socket_base::linger{true, 0});
        }
        p.client.close();
        t.reset();
        run();
      }
      EXPECT_EQ(user->gone, 1) << "fail_count " << fail_count;
      EXPECT_TRUE(watch.expired()) << "fail_count " << fail_count;
      EXPECT_LE(user->texts.size(), 2u);
    }
  }
}

// A client that reads slowly: the socket fills, the rest of a write waits
// for room, and every frame arrives whole and in order.
TEST_P(ws_transport_test, a_full_socket_sends_the_rest_when_the_peer_reads) {
  socket_pair p{worker.io};
  p.server.set_option(asio::socket_base::send_buffer_size{4096});
  p.client.set_option(asio::socket_base::receive_buffer_size{4096});
  auto t = make(p);
  auto user = std::make_shared<recording_user>();
  t->start(user, {});
  constexpr int frames = 200;
  const std::string body(100, 'b');
  // Frame i: a 3-digit number and 100 bytes: 105 bytes on the wire.
  auto text = [&](int i) {
    auto n = std::to_string(i);
    return std::string(3 - n.size(), '0') + n + body;
  };
  for (int i = 0; i < frames; ++i)
    t->send(std::make_shared<const std::string>(text(i)));
  std::vector<std::string> got;
  // Bounded: a read that waits 5 s ends the reader (and fails the test).
  timeval limit{5, 0};
  setsockopt(p.client.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit,
             sizeof limit);
  std::thread reader([&] {
    boost::system::error_code ec;
    for (int i = 0; i < frames && !ec; ++i) {
      // Slower than the server writes: the socket is full most of the time.
      if (i % 20 == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
      unsigned char head[2] = {};
      asio::read(p.client, asio::buffer(head), ec);
      std::string payload(head[1], '\0');
      if (!ec)
        asio::read(p.client, asio::buffer(payload), ec);
      if (!ec)
        got.push_back(payload);
    }
  });
  for (int i = 0; i < 500; ++i) {
    worker.io.restart();
    worker.io.run_for(std::chrono::milliseconds{10});
    if (counters.frames_out.load() == static_cast<std::uint64_t>(frames))
      break;
  }
  reader.join();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(frames));
  for (int i = 0; i < frames; ++i)
    EXPECT_EQ(got[static_cast<std::size_t>(i)], text(i)) << i;
  EXPECT_EQ(counters.frames_out.load(), static_cast<std::uint64_t>(frames));
  p.client.close();
  run();
  EXPECT_EQ(user->gone, 1);
}

INSTANTIATE_TEST_SUITE_P(writes, ws_transport_test, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "io_uring" : "one_by_one";
                         });
INSTANTIATE_TEST_SUITE_P(writes, ws_transport_lazy, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "io_uring" : "one_by_one";
                         });
