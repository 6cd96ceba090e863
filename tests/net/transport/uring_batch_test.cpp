// The io_uring send batch over real sockets: every write goes out whole and
// answered once, in the order added; a full socket answers at once instead
// of waiting; a closed peer is an error, not SIGPIPE; more writes than the
// ring holds go out in several submissions.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/transport/send_batch.hpp"

using namespace h2h::net;

namespace {

/// A connected Unix stream pair; [0] non-blocking (the server's side).
struct stream_pair {
  int fd[2] = {-1, -1};
  stream_pair() {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
    fcntl(fd[0], F_SETFL, fcntl(fd[0], F_GETFL) | O_NONBLOCK);
  }
  ~stream_pair() {
    for (int f : fd)
      if (f >= 0)
        close(f);
  }
  stream_pair(const stream_pair&) = delete;
  stream_pair& operator=(const stream_pair&) = delete;

  /// What the peer can read now (up to `max` bytes; never blocks).
  std::string drain(std::size_t max = 1 << 20) const {
    std::string out(max, '\0');
    auto n = recv(fd[1], out.data(), out.size(), MSG_DONTWAIT);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }
};

struct recorder : batch_client {
  std::vector<long> results;
  void sent(long result) override {
    results.push_back(result);
  }
};

/// Skips where the kernel refuses io_uring, except in CI (CI=true), where
/// the machine is known to offer it and a skip would hide a failure.
#define REQUIRE_URING(batch, why)                                              \
  do {                                                                         \
    if (!(batch)) {                                                            \
      const char* ci = std::getenv("CI");                                      \
      if (ci != nullptr && std::string(ci) == "true")                          \
        FAIL() << "no io_uring: " << (why);                                    \
      GTEST_SKIP() << "the kernel refuses io_uring: " << (why);                \
    }                                                                          \
  } while (false)

} // namespace

TEST(uring_batch, every_write_goes_out_whole_with_one_answer_each) {
  std::string why;
  auto batch = make_uring_batch(why);
  REQUIRE_URING(batch, why);
  stream_pair a, b, c;
  const std::string head = "HEAD:", body = "the shared body";
  std::vector<boost::asio::const_buffer> two{boost::asio::buffer(head),
                                             boost::asio::buffer(body)};
  std::vector<boost::asio::const_buffer> one{boost::asio::buffer(body)};
  recorder ra, rb, rc;
  batch->add(a.fd[0], two.data(), two.size(), ra);
  batch->add(b.fd[0], one.data(), one.size(), rb);
  batch->add(c.fd[0], two.data(), 1, rc);
  // Nothing leaves before submit().
  EXPECT_EQ(a.drain(), "");
  batch->submit();
  EXPECT_EQ(ra.results,
            std::vector<long>{static_cast<long>(head.size() + body.size())});
  EXPECT_EQ(rb.results, std::vector<long>{static_cast<long>(body.size())});
  EXPECT_EQ(rc.results, std::vector<long>{static_cast<long>(head.size())});
  EXPECT_EQ(a.drain(), head + body);
  EXPECT_EQ(b.drain(), body);
  EXPECT_EQ(c.drain(), head);
  EXPECT_FALSE(batch->broken());
  // The batch is empty again: a second submit writes nothing twice.
  batch->submit();
  EXPECT_EQ(ra.results.size(), 1u);
  EXPECT_EQ(a.drain(), "");
}

TEST(uring_batch, a_full_socket_answers_at_once) {
  std::string why;
  auto batch = make_uring_batch(why);
  REQUIRE_URING(batch, why);
  stream_pair p;
  const std::string chunk(65536, 'x');
  // Fill the socket until it takes nothing more (bounded).
  for (int i = 0; i < 10000; ++i)
    if (send(p.fd[0], chunk.data(), chunk.size(), MSG_DONTWAIT) < 0)
      break;
  ASSERT_EQ(send(p.fd[0], chunk.data(), 1, MSG_DONTWAIT), -1);
  auto buf = boost::asio::buffer(chunk);
  recorder r;
  batch->add(p.fd[0], &buf, 1, r);
  batch->submit(); // returns: a write never waits for room
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0], -EAGAIN);
  EXPECT_FALSE(batch->broken());
}

TEST(uring_batch, a_closed_peer_is_an_error_not_a_signal) {
  std::string why;
  auto batch = make_uring_batch(why);
  REQUIRE_URING(batch, why);
  stream_pair p;
  close(p.fd[1]);
  p.fd[1] = -1;
  const std::string text = "to nobody";
  auto buf = boost::asio::buffer(text);
  recorder r;
  batch->add(p.fd[0], &buf, 1, r);
  batch->submit(); // SIGPIPE would end the test program here
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0], -EPIPE);
}

TEST(uring_batch, more_writes_than_the_ring_holds_all_go_out_in_order) {
  std::string why;
  auto batch = make_uring_batch(why);
  REQUIRE_URING(batch, why);
  // 270 sockets (the ring holds 256 writes), one write each.
  std::vector<std::unique_ptr<stream_pair>> pairs;
  std::vector<std::string> texts;
  std::vector<boost::asio::const_buffer> bufs;
  for (int i = 0; i < 270; ++i) {
    pairs.push_back(std::make_unique<stream_pair>());
    texts.push_back("write " + std::to_string(i));
  }
  for (auto& t : texts)
    bufs.push_back(boost::asio::buffer(t));
  struct ordered : batch_client {
    std::vector<int>* order;
    int id;
    void sent(long) override {
      order->push_back(id);
    }
  };
  std::vector<int> order;
  std::vector<ordered> clients(270);
  for (int i = 0; i < 270; ++i) {
    clients[static_cast<std::size_t>(i)].order = &order;
    clients[static_cast<std::size_t>(i)].id = i;
    batch->add(pairs[static_cast<std::size_t>(i)]->fd[0],
               &bufs[static_cast<std::size_t>(i)], 1,
               clients[static_cast<std::size_t>(i)]);
  }
  batch->submit();
  ASSERT_EQ(order.size(), 270u);
  for (int i = 0; i < 270; ++i) {
    EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
    EXPECT_EQ(pairs[static_cast<std::size_t>(i)]->drain(),
              texts[static_cast<std::size_t>(i)]);
  }
}

TEST(uring_batch, more_buffers_than_one_call_takes_make_a_partial_write) {
  std::string why;
  auto batch = make_uring_batch(why);
  REQUIRE_URING(batch, why);
  // A client that pings without reading queues a pong per ping: thousands
  // of frames, more buffers than one sendmsg takes (IOV_MAX, 1024).
  stream_pair p;
  const std::string two = "ab";
  std::vector<boost::asio::const_buffer> bufs(3000, boost::asio::buffer(two));
  recorder r;
  batch->add(p.fd[0], bufs.data(), bufs.size(), r);
  batch->submit();
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0], 2 * 1024);
  EXPECT_EQ(p.drain().size(), 2u * 1024u);
}
