// Unit tests of h2h-bench's STOMP side (--proto stomp): the frames it sends,
// the reader of the server's frames, and how the tally counts them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "h2h-bench/fanout_tally.hpp"
#include "h2h-bench/options.hpp"
#include "h2h-bench/stomp_frames.hpp"

using namespace h2h::bench;
using namespace std::string_literals;

namespace {

/// Every frame a reader hands over, copied.
struct seen_frame {
  std::string command, headers, body;
};

std::vector<seen_frame> read_all(stomp_frame_reader& r,
                                 const std::vector<std::string>& chunks,
                                 bool* ok = nullptr) {
  std::vector<seen_frame> out;
  bool good = true;
  for (auto& c : chunks)
    good = good && r.feed(c, [&](const stomp_frame_view& f) {
      out.push_back(
        {std::string{f.command}, std::string{f.headers}, std::string{f.body}});
    });
  if (ok)
    *ok = good;
  return out;
}

/// The MESSAGE frame h2h sends for publisher `pub`'s message `seq`.
std::string message_frame(std::size_t pub, std::uint64_t seq) {
  std::string text;
  append_payload(text, payload{static_cast<std::uint32_t>(pub), seq, 5}, 64);
  auto room = "bench-" + std::to_string(pub % 2);
  auto body = R"({"type":"TALK","roomId":")" + room
              + R"(","senderId":7,"sender":"p0","message":")" + text
              + R"(","createdDate":"2026-11-27T21:40:00.123Z","seq":9})";
  return "MESSAGE\ndestination:/subscribe/room/" + room
         + "\nsubscription:0\nmessage-id:" + room
         + ":9\ncontent-type:application/json\ncontent-length:"
         + std::to_string(body.size()) + "\n\n" + body + '\0';
}

} // namespace

TEST(stomp_frames, connect_carries_the_token_and_no_heart_beats) {
  std::string out = "old";
  build_stomp_connect(out, "tok.en", "");
  EXPECT_EQ(out, "CONNECT\naccept-version:1.2\nhost:h2h\nheart-beat:0,0\n"
                 "Authorization:Bearer tok.en\n\n\0"s);
  build_stomp_connect(out, "", "c3");
  EXPECT_EQ(out, "CONNECT\naccept-version:1.2\nhost:h2h\nheart-beat:0,0\n"
                 "login:c3\n\n\0"s);
}

TEST(stomp_frames, subscribe_and_send_name_the_room_and_the_receipt) {
  std::string out;
  build_stomp_subscribe(out, "bench-", 4);
  EXPECT_EQ(out, "SUBSCRIBE\nid:0\ndestination:/subscribe/room/bench-4\n"
                 "receipt:sub\n\n\0"s);
  build_stomp_send(out, "bench-", 1, payload{3, 17, 99}, 64, "abcd", false);
  std::string text;
  append_payload(text, payload{3, 17, 99}, 64);
  EXPECT_EQ(out, "SEND\ndestination:/publish/message\n"
                 "content-type:application/json\nreceipt:3-17-abcd\n\n"
                 R"({"type":"TALK","roomId":"bench-1","message":")"
                   + text + "\"}" + '\0');
  build_stomp_send(out, "bench-", 1, payload{3, 17, 99}, 64, "abcd", true);
  EXPECT_NE(out.find(R"("roomId":"bench-1","sender":"p3","message":")"),
            std::string::npos)
    << out;
}

TEST(stomp_frames, reader_splits_frames_skips_heart_beats_and_joins_parts) {
  stomp_frame_reader r{4096};
  auto frames = read_all(
    r, {"\n", "\r\nCONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0\n"s,
        "RECEIPT\nreceipt-id:sub\n\n\0MESSAGE\r\nsubscription:0\r\n\r\nhel"s,
        "lo\0"s, "\n\n"});
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].command, "CONNECTED");
  EXPECT_EQ(frames[1].command, "RECEIPT");
  EXPECT_EQ(frames[2].command, "MESSAGE");
  EXPECT_EQ(frames[2].body, "hello");
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(stomp_frames, reader_honours_content_length_at_every_split) {
  const auto frame = "MESSAGE\ncontent-length:5\nx:y\n\na\0b\nc\0"s;
  for (std::size_t cut = 0; cut <= frame.size(); ++cut) {
    stomp_frame_reader r{4096};
    auto frames = read_all(r, {frame.substr(0, cut), frame.substr(cut)});
    ASSERT_EQ(frames.size(), 1u) << "split at " << cut;
    EXPECT_EQ(frames[0].body, "a\0b\nc"s);
  }
}

TEST(stomp_frames, header_lookup_takes_the_first_value) {
  stomp_frame_reader r{4096};
  std::vector<std::string> ids;
  r.feed("RECEIPT\nreceipt-id:1-2-x\r\nreceipt-id:other\n\n\0"s,
         [&](const stomp_frame_view& f) {
           ids.emplace_back(f.header("receipt-id").value_or("?"));
           EXPECT_FALSE(f.header("receipt").has_value());
         });
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], "1-2-x");
}

TEST(stomp_frames, reader_refuses_bad_length_and_oversized_frames) {
  bool ok = true;
  stomp_frame_reader bad{4096};
  read_all(bad, {"MESSAGE\ncontent-length:x\n\nab\0"s}, &ok);
  EXPECT_FALSE(ok);
  EXPECT_NE(bad.error().find("content-length"), std::string::npos);
  stomp_frame_reader no_nul{4096};
  read_all(no_nul, {"MESSAGE\ncontent-length:1\n\nab\0"s}, &ok);
  EXPECT_FALSE(ok);
  stomp_frame_reader small{16};
  read_all(small, {"MESSAGE\n\n0123456789abcdefghij"}, &ok);
  EXPECT_FALSE(ok);
  EXPECT_NE(small.error().find("over"), std::string::npos);
}

TEST(stomp_frames, tally_counts_messages_receipts_and_errors) {
  fanout_tally t{protocol::stomp, fanout_layout{4, 2, 2}};
  stomp_frame_reader r{1 << 16};
  std::vector<fanout_tally::effect> effects;
  auto feed = [&](std::size_t conn, const std::string& text) {
    effects.clear();
    ASSERT_TRUE(r.feed(text, [&](const stomp_frame_view& f) {
      effects.push_back(t.on_stomp_frame(conn, f, 1000));
    }));
  };
  feed(0, "CONNECTED\nversion:1.2\n\n\0"s);
  ASSERT_EQ(effects.size(), 1u);
  EXPECT_TRUE(effects[0].connected);
  feed(0, "RECEIPT\nreceipt-id:sub\n\n\0"s);
  EXPECT_TRUE(effects[0].entered);
  t.start_window(0);
  t.on_publish(0, 0, 10);
  EXPECT_FALSE(t.drained());
  // Publisher 0's message reaches room 0's members 0 and 2; the RECEIPT
  // frees its window slot.
  feed(0, message_frame(0, 0));
  feed(2, message_frame(0, 0));
  feed(2, message_frame(0, 0)); // a duplicate
  feed(0, "RECEIPT\nreceipt-id:0-0-abcd\n\n\0"s);
  ASSERT_EQ(effects.size(), 1u);
  EXPECT_EQ(effects[0].freed, std::optional<std::size_t>{0});
  EXPECT_TRUE(t.drained());
  feed(1, "ERROR\nmessage:rate limited\nreceipt-id:1-0-abcd\n\nslow down\0"s);
  EXPECT_EQ(effects[0].freed, std::optional<std::size_t>{1});
  fanout_report rep;
  t.fill(rep);
  EXPECT_EQ(rep.publishes, 1u);
  EXPECT_EQ(rep.expected_deliveries, 2u);
  EXPECT_EQ(rep.deliveries.distinct_measured, 2u);
  EXPECT_EQ(rep.deliveries.duplicated, 1u);
  EXPECT_EQ(rep.lost, 0u);
  EXPECT_EQ(rep.acks, 1u);
  EXPECT_EQ(rep.server_errors, 1u);
  EXPECT_EQ(rep.first_server_error, "rate limited slow down");
  EXPECT_EQ(rep.unexpected_frames, 0u);
}

TEST(stomp_frames, proto_option_takes_raw_stomp_and_the_old_names) {
  auto parse = [](const char* proto) {
    return parse_fanout({"--url", "ws://127.0.0.1:1/ws", "--conns", "2",
                         "--rooms", "1", "--publishers", "1", "--rate", "1",
                         "--duration", "1", "--proto", proto});
  };
  EXPECT_EQ(parse("raw").options.proto, protocol::h2h);
  EXPECT_EQ(parse("h2h").options.proto, protocol::h2h);
  EXPECT_EQ(parse("stomp").options.proto, protocol::stomp);
  EXPECT_EQ(parse("plain").options.proto, protocol::plain);
  EXPECT_FALSE(parse("mqtt").errors.empty());
  EXPECT_EQ(protocol_name(protocol::h2h), "h2h");
  EXPECT_EQ(protocol_name(protocol::stomp), "stomp");
  auto idle = parse_idle(
    {"--url", "ws://127.0.0.1:1/ws", "--conns", "1", "--proto", "stomp"});
  EXPECT_FALSE(idle.errors.empty()) << "idle speaks no STOMP";
}
