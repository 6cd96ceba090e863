// The outbound queue of a connection: every byte counts against the limit
// (pongs and the close frame too), only the latest unsent pong is kept, and
// many threads may push while the I/O thread writes (label tsan).
#include "net/ws/outbound_queue.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ws = h2h::net::ws;
using h2h::net::out_frame;
using h2h::net::outbound_queue;
using outcome = outbound_queue::outcome;

namespace {

std::shared_ptr<const std::string> text(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

/// Takes what is queued and reports it written; returns the frames.
std::vector<out_frame> drain(outbound_queue& q) {
  std::vector<out_frame> out;
  if (!q.take(out))
    return out;
  std::size_t bytes = 0;
  for (auto& f : out)
    bytes += f.size();
  q.written(bytes);
  return out;
}

std::uint8_t opcode_of(const out_frame& f) {
  return f.header[0] & 0x0F;
}

/// Queues one text frame that may wait (an ENTER or EXIT notice).
outcome push_lazy(outbound_queue& q, std::string s) {
  return q.push_all([&](auto&& add) { add(ws::opcode::text, text(s)); }, true);
}

/// Checks that text frame "p:k" is producer p's next one (k) and counts it.
void expect_next(const out_frame& f, std::map<int, int>& next) {
  auto colon = f.payload.body->find(':');
  auto p = std::stoi(f.payload.body->substr(0, colon));
  auto k = std::stoi(f.payload.body->substr(colon + 1));
  EXPECT_EQ(k, next[p]) << "producer " << p;
  next[p] = k + 1;
}

} // namespace

TEST(outbound_queue, first_push_schedules_a_write_until_the_queue_is_empty) {
  outbound_queue q{1000};
  EXPECT_EQ(q.push(ws::opcode::text, text("a")), outcome::schedule);
  EXPECT_EQ(q.push(ws::opcode::text, text("b")), outcome::queued);
  EXPECT_EQ(q.queued_bytes(), 6u); // two 2-byte headers, two bytes
  auto frames = drain(q);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].payload.joined(), "a");
  EXPECT_EQ(q.queued_bytes(), 0u);
  // Still scheduled until the writer finds the queue empty.
  EXPECT_EQ(q.push(ws::opcode::text, text("c")), outcome::queued);
  drain(q);
  std::vector<out_frame> none;
  EXPECT_FALSE(q.take(none));
  EXPECT_EQ(q.push(ws::opcode::text, text("d")), outcome::schedule);
}

TEST(outbound_queue, a_message_in_two_parts_is_one_frame_of_both) {
  outbound_queue q{1000};
  auto head = text("MESSAGE\nsubscription:s1\n");
  auto body = text(std::string(200, 'b'));
  EXPECT_EQ(q.push(ws::opcode::text, h2h::net::wire_message{head, body}),
            outcome::schedule);
  auto frames = drain(q);
  ASSERT_EQ(frames.size(), 1u);
  // One header for both parts: 126 + a 16-bit length, then 224 bytes.
  auto whole = ws::encode_frame(ws::opcode::text, *head + *body);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(frames[0].header),
                        frames[0].header_len)
              + frames[0].payload.joined(),
            whole);
  EXPECT_EQ(frames[0].size(), whole.size());
  EXPECT_EQ(frames[0].payload.head.get(), head.get()) << "shared, not copied";
  EXPECT_EQ(frames[0].payload.body.get(), body.get());
}

TEST(outbound_queue, passing_the_limit_is_reported_once_then_refused) {
  outbound_queue q{100};
  EXPECT_EQ(q.push(ws::opcode::text, text(std::string(48, 'x'))),
            outcome::schedule);
  EXPECT_EQ(q.push(ws::opcode::text, text(std::string(48, 'x'))),
            outcome::queued); // exactly 100
  EXPECT_EQ(q.push(ws::opcode::text, text("y")), outcome::overflow);
  EXPECT_EQ(q.push(ws::opcode::text, text("z")), outcome::refused);
  EXPECT_EQ(q.push_pong(text("p")), outcome::refused);
}

TEST(outbound_queue, a_batch_is_checked_as_a_whole) {
  outbound_queue q{100};
  auto r = q.push_all([](auto&& add) {
    for (int i = 0; i < 3; ++i)
      add(ws::opcode::text, text(std::string(40, 'x')));
  });
  EXPECT_EQ(r, outcome::overflow);
}

TEST(outbound_queue, frames_being_written_still_count) {
  outbound_queue q{100};
  q.push(ws::opcode::text, text(std::string(58, 'x')));
  std::vector<out_frame> writing;
  ASSERT_TRUE(q.take(writing)); // the socket is slow: not written yet
  EXPECT_EQ(q.push(ws::opcode::text, text(std::string(38, 'y'))),
            outcome::queued);
  EXPECT_EQ(q.push(ws::opcode::text, text("z")), outcome::overflow);
}

TEST(outbound_queue, every_ping_gets_its_pong_while_writes_go_through) {
  outbound_queue q{10000};
  EXPECT_EQ(q.push_pong(text("p1")), outcome::schedule);
  EXPECT_EQ(q.push_pong(text("p2")), outcome::queued);
  auto frames = drain(q);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].payload.joined(), "p1");
  EXPECT_EQ(frames[1].payload.joined(), "p2");
  EXPECT_EQ(q.queued_bytes(), 0u);
}

TEST(outbound_queue,
     only_the_latest_unsent_pong_is_kept_while_a_write_is_stuck) {
  outbound_queue q{10000};
  EXPECT_EQ(q.push(ws::opcode::text, text("A")), outcome::schedule);
  std::vector<out_frame> stuck;
  ASSERT_TRUE(q.take(stuck)); // the socket is full
  EXPECT_EQ(q.push_pong(text("p1")), outcome::queued);
  EXPECT_EQ(q.push(ws::opcode::text, text("B")), outcome::queued);
  EXPECT_EQ(q.push_pong(text("p2")), outcome::queued);
  EXPECT_EQ(q.push_pong(text("p3")), outcome::queued);
  // A, p3, B and the bytes of p1 and p2, all on the account.
  EXPECT_EQ(q.queued_bytes(), 3u + 4u + 3u + 8u);
  q.written(3); // A went out at last
  auto frames = drain(q);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(opcode_of(frames[0]), 0xA);
  EXPECT_EQ(frames[0].payload.joined(), "p3");
  EXPECT_EQ(frames[1].payload.joined(), "B");
  // The replaced pongs' bytes left the account with the one written.
  EXPECT_EQ(q.queued_bytes(), 0u);
}

TEST(outbound_queue, replaced_pongs_count_until_a_pong_is_written) {
  outbound_queue q{10000};
  std::vector<out_frame> writing;
  q.push(ws::opcode::text, text("A"));
  ASSERT_TRUE(q.take(writing)); // stuck
  q.push_pong(text("p1"));
  q.push_pong(text("p2")); // p1's 4 bytes stay counted
  EXPECT_EQ(q.queued_bytes(), 3u + 8u);
  q.written(3);
  writing.clear();
  ASSERT_TRUE(q.take(writing)); // p2 goes out, and stays stuck
  q.push_pong(text("p3"));      // a new frame: p2 is being written
  EXPECT_EQ(q.queued_bytes(), 12u);
  q.written(4); // p2 (and p1's debt) out
  EXPECT_EQ(q.queued_bytes(), 4u);
  writing.clear();
  ASSERT_TRUE(q.take(writing));
  ASSERT_EQ(writing.size(), 1u);
  EXPECT_EQ(writing[0].payload.joined(), "p3");
}

TEST(outbound_queue, pings_without_reading_reach_the_limit_in_bounded_memory) {
  // 125-byte pings, never written (the client does not read).
  outbound_queue q{1 << 20};
  std::vector<out_frame> stuck;
  q.push(ws::opcode::text, text("x"));
  ASSERT_TRUE(q.take(stuck)); // the socket is full
  int pings = 0;
  auto payload = std::string(125, 'p');
  for (;; ++pings) {
    auto r = q.push_pong(text(payload));
    if (r == outcome::overflow)
      break;
    ASSERT_LT(pings, 1 << 20) << "never reached the limit";
  }
  // 127 bytes a pong: about 8k pings, whatever the memory held.
  EXPECT_GT(pings, 8000);
  EXPECT_LT(pings, 8300);
  auto closed = q.close(4008, "slow consumer");
  EXPECT_EQ(closed.code, 4008);
  std::vector<out_frame> rest;
  q.written(3); // the stuck frame went out after all
  ASSERT_TRUE(q.take(rest));
  ASSERT_EQ(rest.size(), 1u); // the pong was dropped, the close remains
  EXPECT_EQ(opcode_of(rest[0]), 0x8);
}

TEST(outbound_queue, the_close_frame_counts_and_ends_the_queue) {
  outbound_queue q{1000};
  EXPECT_EQ(q.push(ws::opcode::text, text("bye")), outcome::schedule);
  auto c = q.close(1000, "");
  EXPECT_EQ(c.code, 1000);
  EXPECT_FALSE(c.schedule); // a write is on its way already
  EXPECT_EQ(q.queued_bytes(), 5u + 4u);
  EXPECT_EQ(q.push(ws::opcode::text, text("late")), outcome::refused);
  EXPECT_EQ(q.push_pong(text("late")), outcome::refused);
  EXPECT_FALSE(q.close(1001, "again").schedule);
  auto frames = drain(q);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(opcode_of(frames[1]), 0x8);
  EXPECT_EQ(frames[1].payload.joined(), std::string("\x03\xe8", 2));
  EXPECT_EQ(q.queued_bytes(), 0u);
}

TEST(outbound_queue, a_close_past_the_limit_becomes_4008_and_drops_the_rest) {
  outbound_queue q{100};
  q.push(ws::opcode::text, text(std::string(90, 'x')));
  auto c = q.close(1001, "server shutting down");
  EXPECT_EQ(c.code, 4008);
  auto frames = drain(q);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(opcode_of(frames[0]), 0x8);
  EXPECT_EQ(frames[0].payload.joined().substr(0, 2),
            std::string("\x0f\xa8", 2));
  EXPECT_EQ(q.queued_bytes(), 0u);
}

TEST(outbound_queue, a_slow_consumer_close_keeps_what_is_being_written) {
  outbound_queue q{1000};
  q.push(ws::opcode::text, text("A"));
  std::vector<out_frame> writing;
  ASSERT_TRUE(q.take(writing));
  q.push(ws::opcode::text, text("B"));
  q.push_pong(text("p"));
  auto c = q.close(4008, "slow consumer");
  EXPECT_EQ(c.code, 4008);
  EXPECT_FALSE(c.schedule);
  q.written(3); // A
  writing.clear();
  ASSERT_TRUE(q.take(writing));
  ASSERT_EQ(writing.size(), 1u); // B and the pong are gone
  EXPECT_EQ(opcode_of(writing[0]), 0x8);
}

TEST(outbound_queue, clear_drops_everything_and_refuses) {
  outbound_queue q{1000};
  q.push(ws::opcode::text, text("A"));
  q.clear();
  EXPECT_EQ(q.queued_bytes(), 0u);
  EXPECT_EQ(q.push(ws::opcode::text, text("B")), outcome::refused);
  EXPECT_FALSE(q.close(1000, "").schedule);
  std::vector<out_frame> none;
  EXPECT_FALSE(q.take(none));
}

TEST(outbound_queue, lazy_pushes_ask_for_one_lazy_write_until_it_is_due) {
  outbound_queue q{1000};
  EXPECT_EQ(push_lazy(q, "a"), outcome::schedule_lazy);
  EXPECT_EQ(push_lazy(q, "b"), outcome::queued);
  // The lazy write is due: nothing else writes, so its caller must.
  EXPECT_TRUE(q.promote_lazy());
  EXPECT_EQ(q.push(ws::opcode::text, text("c")), outcome::queued);
  auto frames = drain(q);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].payload.joined(), "a");
  EXPECT_EQ(frames[2].payload.joined(), "c");
  std::vector<out_frame> none;
  EXPECT_FALSE(q.take(none));
  // A lazy write that finds nothing left to write does nothing.
  EXPECT_EQ(push_lazy(q, "d"), outcome::schedule_lazy);
  EXPECT_EQ(q.push(ws::opcode::text, text("e")), outcome::schedule);
  EXPECT_EQ(drain(q).size(), 2u);
  EXPECT_FALSE(q.take(none));
  EXPECT_FALSE(q.promote_lazy());
  EXPECT_EQ(q.queued_bytes(), 0u);
}

TEST(outbound_queue, lazy_frames_go_with_the_next_write_in_their_place) {
  outbound_queue q{1000};
  push_lazy(q, "notice");
  // A frame in a hurry schedules a write at once; the notice goes first.
  EXPECT_EQ(q.push(ws::opcode::text, text("ack")), outcome::schedule);
  EXPECT_EQ(push_lazy(q, "x"), outcome::queued);
  auto frames = drain(q);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].payload.joined(), "notice");
  EXPECT_EQ(frames[1].payload.joined(), "ack");
  // The lazy write comes due while that write is scheduled: nothing to do.
  EXPECT_FALSE(q.promote_lazy());
  std::vector<out_frame> none;
  EXPECT_FALSE(q.take(none));
}

TEST(outbound_queue, lazy_frames_count_against_the_limit_at_once) {
  outbound_queue q{10};
  EXPECT_EQ(push_lazy(q, "1234"), outcome::schedule_lazy);
  EXPECT_EQ(push_lazy(q, "5678"), outcome::overflow);
  EXPECT_EQ(q.push(ws::opcode::text, text("x")), outcome::refused);
}

TEST(outbound_queue, a_close_takes_the_lazy_frames_along) {
  outbound_queue q{1000};
  push_lazy(q, "notice");
  auto c = q.close(1000, "");
  EXPECT_TRUE(c.schedule);
  EXPECT_FALSE(q.promote_lazy());
  auto frames = drain(q);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].payload.joined(), "notice");
  EXPECT_EQ(opcode_of(frames[1]), 0x8);
}

TEST(outbound_queue_threads, lazy_and_eager_pushes_strand_nothing) {
  // Producers push lazily and eagerly; the "I/O" thread writes when told to
  // (schedule) and promotes when a lazy write comes due (schedule_lazy), as
  // ws_transport and write_batcher do. Every frame is written, in order per
  // producer: no sequence of outcomes leaves frames without a write.
  constexpr int producers = 4;
  constexpr int per_producer = 20000;
  outbound_queue q{std::size_t{1} << 40};
  std::atomic<int> running{producers};
  std::atomic<int> writes{0};
  std::atomic<int> lazy_writes{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        auto r = q.push_all(
          [&](auto&& add) {
            add(ws::opcode::text,
                text(std::to_string(p) + ":" + std::to_string(i)));
          },
          (i + p) % 3 != 0);
        if (r == outcome::schedule)
          writes.fetch_add(1);
        else if (r == outcome::schedule_lazy)
          lazy_writes.fetch_add(1);
      }
      running.fetch_sub(1);
    });
  std::map<int, int> next;
  std::vector<out_frame> writing;
  auto write_all = [&] {
    while (q.take(writing)) {
      std::size_t bytes = 0;
      for (auto& f : writing) {
        bytes += f.size();
        expect_next(f, next);
      }
      q.written(bytes);
      writing.clear();
    }
  };
  for (;;) {
    // Looked at first: once the producers are done, the counts are final.
    bool producers_done = running.load() == 0;
    if (writes.load() > 0) {
      writes.fetch_sub(1);
      write_all();
    } else if (lazy_writes.load() > 0) {
      lazy_writes.fetch_sub(1);
      if (q.promote_lazy())
        write_all();
    } else if (producers_done) {
      break;
    } else {
      std::this_thread::yield();
    }
  }
  for (auto& t : threads)
    t.join();
  for (int p = 0; p < producers; ++p)
    EXPECT_EQ(next[p], per_producer) << "producer " << p;
  EXPECT_EQ(q.queued_bytes(), 0u);
}

TEST(outbound_queue_threads,
     pushes_from_many_threads_arrive_whole_and_in_order) {
  // Four "actor" threads push batches, the "I/O" thread takes, writes and
  // answers pings, as a connection does. Nothing is lost or reordered per
  // producer, and the account ends at zero.
  constexpr int producers = 4;
  constexpr int per_producer = 20000;
  outbound_queue q{std::size_t{1} << 40};
  std::atomic<int> running{producers};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; i += 4) {
        q.push_all([&](auto&& add) {
          for (int k = i; k < i + 4; ++k)
            add(ws::opcode::text,
                text(std::to_string(p) + ":" + std::to_string(k)));
        });
      }
      running.fetch_sub(1);
    });
  std::map<int, int> next;
  int pongs = 0;
  std::vector<out_frame> writing;
  for (int round = 0;; ++round) {
    if (round % 7 == 0)
      q.push_pong(text("p"));
    // Looked at before take(): a push after an empty take() is not lost.
    bool producers_done = running.load() == 0;
    if (q.take(writing)) {
      std::size_t bytes = 0;
      for (auto& f : writing) {
        bytes += f.size();
        if (opcode_of(f) == 0xA) {
          ++pongs;
          continue;
        }
        expect_next(f, next);
      }
      q.written(bytes);
      writing.clear();
    } else if (producers_done) {
      break;
    }
  }
  for (auto& t : threads)
    t.join();
  for (int p = 0; p < producers; ++p)
    EXPECT_EQ(next[p], per_producer);
  EXPECT_GT(pongs, 0);
  EXPECT_EQ(q.queued_bytes(), 0u);
}
