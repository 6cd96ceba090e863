// The per-protocol cache of a shared event: every receiver of one protocol
// gets the same bytes (one encoding per event), also when two I/O threads
// encode an event first at the same time.
#include "actors/vocabulary/event.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "net/protocol/raw_json/raw_json_protocol.hpp"

using namespace h2h;
using namespace h2h::net;

namespace {

room_event event_no(std::uint64_t seq) {
  room_event ev;
  ev.room_id = "r1";
  ev.seq = seq;
  ev.sender = "alice";
  ev.text = "message " + std::to_string(seq);
  return ev;
}

} // namespace

TEST(event_cache, two_links_of_one_protocol_share_the_same_bytes) {
  codec_limits limits;
  raw_json_protocol a{limits};
  raw_json_protocol b{limits};
  auto ev = make_event(event_no(1));
  auto x = a.encode_event(ev).body;
  auto y = b.encode_event(ev).body;
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x.get(), y.get()); // same pointer, encoded once
  EXPECT_EQ(*x, encode_event(ev->data()));
}

TEST(event_cache, the_bytes_outlive_every_other_holder_of_the_event) {
  codec_limits limits;
  raw_json_protocol p{limits};
  auto ev = make_event(event_no(2));
  std::weak_ptr<const chat_event> watch = ev;
  auto bytes = p.encode_event(ev).body;
  ev.reset();
  EXPECT_FALSE(watch.expired()); // the bytes alias the event
  EXPECT_EQ(*bytes, encode_event(event_no(2)));
  bytes.reset();
  EXPECT_TRUE(watch.expired());
}

TEST(event_cache, encodes_once_per_slot) {
  auto ev = make_event(event_no(3));
  int calls = 0;
  auto enc = [&](const room_event&) {
    ++calls;
    return std::string{"x"};
  };
  auto first = ev->encoded(ev, 3, enc);
  auto again = ev->encoded(ev, 3, enc);
  auto other = ev->encoded(ev, 2, enc);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(first.get(), again.get());
  EXPECT_NE(first.get(), other.get());
}

TEST(event_cache, concurrent_first_use_from_two_threads_agrees) {
  codec_limits limits;
  raw_json_protocol p1{limits};
  raw_json_protocol p2{limits};
  constexpr std::size_t n = 2000;
  std::vector<event_ptr> events;
  for (std::size_t i = 0; i < n; ++i)
    events.push_back(make_event(event_no(i + 1)));
  std::vector<wire_bytes> seen1(n), seen2(n);
  std::atomic<int> ready{0};
  auto run = [&](raw_json_protocol& p, std::vector<wire_bytes>& out) {
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
    for (std::size_t i = 0; i < n; ++i)
      out[i] = p.encode_event(events[i]).body;
  };
  std::thread t1(run, std::ref(p1), std::ref(seen1));
  std::thread t2(run, std::ref(p2), std::ref(seen2));
  t1.join();
  t2.join();
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(seen1[i].get(), seen2[i].get()) << "event " << i;
    EXPECT_EQ(*seen1[i], encode_event(events[i]->data()));
  }
}
