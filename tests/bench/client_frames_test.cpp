// Unit tests of h2h-bench's reader of server frames, fed by the server's own
// encoder (net/ws/ws_frame.hpp) so that both sides of the wire agree.
#include <gtest/gtest.h>

#include <vector>

#include "h2h-bench/client_frames.hpp"

using namespace h2h::bench;
namespace ws = h2h::net::ws;

namespace {

struct received {
  ws_op op;
  std::string data;
  bool operator==(const received& o) const {
    return op == o.op && data == o.data;
  }
};

/// Feeds `bytes` in pieces of `step` bytes (the whole at once when 0).
std::vector<received> read_all(server_frame_reader& r, std::string_view bytes,
                               std::size_t step, bool* ok = nullptr) {
  std::vector<received> out;
  auto sink = [&out](ws_op op, std::string_view d) {
    out.push_back({op, std::string{d}});
  };
  bool good = true;
  if (step == 0)
    step = bytes.size() == 0 ? 1 : bytes.size();
  for (std::size_t pos = 0; pos < bytes.size() && good; pos += step)
    good = r.feed(bytes.substr(pos, step), sink);
  if (ok)
    *ok = good;
  return out;
}

std::string fragment(ws::opcode op, std::string_view payload, bool fin) {
  std::uint8_t hdr[14];
  auto n = ws::encode_header(op, payload.size(), hdr, fin);
  return std::string(reinterpret_cast<const char*>(hdr), n)
         + std::string{payload};
}

} // namespace

TEST(client_frames, every_size_class_at_every_split) {
  std::string big16(300, 'm');
  std::string big64(70'000, 'L');
  std::string wire
    = ws::encode_frame(ws::opcode::text, "hello")
      + ws::encode_frame(ws::opcode::text, "")
      + ws::encode_frame(ws::opcode::text, big16)
      + ws::encode_frame(ws::opcode::ping, "p")
      + ws::encode_frame(ws::opcode::binary, big64)
      + ws::encode_frame(ws::opcode::close, ws::close_payload(1001, "bye"));
  std::vector<received> want
    = {{ws_op::text, "hello"}, {ws_op::text, ""},
       {ws_op::text, big16},   {ws_op::ping, "p"},
       {ws_op::binary, big64}, {ws_op::close, ws::close_payload(1001, "bye")}};
  // Every split point in the small frames; coarser steps through the big one.
  for (std::size_t step : {0u, 1u, 2u, 3u, 7u, 125u, 4096u}) {
    server_frame_reader r{1 << 20};
    bool ok = false;
    EXPECT_EQ(read_all(r, wire, step, &ok), want) << "step " << step;
    EXPECT_TRUE(ok);
    EXPECT_EQ(r.buffered(), 0u);
  }
  auto head = ws::encode_frame(ws::opcode::text, "hello")
              + ws::encode_frame(ws::opcode::text, big16);
  for (std::size_t cut = 0; cut <= head.size(); ++cut) {
    server_frame_reader r{1 << 20};
    std::vector<received> got;
    auto sink = [&got](ws_op op, std::string_view d) {
      got.push_back({op, std::string{d}});
    };
    ASSERT_TRUE(r.feed(std::string_view{head}.substr(0, cut), sink));
    ASSERT_TRUE(r.feed(std::string_view{head}.substr(cut), sink));
    ASSERT_EQ(got.size(), 2u) << "cut " << cut;
    EXPECT_EQ(got[1].data, big16);
  }
}

TEST(client_frames, fragments_are_reassembled_around_control_frames) {
  std::string wire = fragment(ws::opcode::text, "he", false)
                     + ws::encode_frame(ws::opcode::ping, "x")
                     + fragment(ws::opcode::continuation, "ll", false)
                     + fragment(ws::opcode::continuation, "o", true);
  for (std::size_t step : {0u, 1u}) {
    server_frame_reader r{1024};
    bool ok = false;
    auto got = read_all(r, wire, step, &ok);
    EXPECT_TRUE(ok);
    std::vector<received> want = {{ws_op::ping, "x"}, {ws_op::text, "hello"}};
    EXPECT_EQ(got, want);
  }
}

TEST(client_frames, violations_are_reported) {
  struct bad_case {
    std::string wire;
    std::string error;
  };
  std::vector<bad_case> cases = {
    {ws::encode_client_frame(ws::opcode::text, "masked", 0x01020304),
     "masked frame from the server"},
    {std::string{"\xC1\x00", 2}, "reserved bits set"},
    {std::string{"\x83\x00", 2}, "unknown opcode 3"},
    {fragment(ws::opcode::ping, "x", false),
     "fragmented or oversized control frame"},
    {fragment(ws::opcode::continuation, "x", true),
     "continuation without a message"},
    {fragment(ws::opcode::text, "a", false)
       + ws::encode_frame(ws::opcode::text, "b"),
     "new message inside a fragmented one"},
    {ws::encode_frame(ws::opcode::text, std::string(20, 'x')),
     "message over 16 bytes"},
    {fragment(ws::opcode::text, std::string(10, 'x'), false)
       + fragment(ws::opcode::continuation, std::string(10, 'x'), true),
     "message over 16 bytes"},
  };
  for (auto& c : cases) {
    server_frame_reader r{16};
    bool ok = true;
    read_all(r, c.wire, 0, &ok);
    EXPECT_FALSE(ok) << c.error;
    EXPECT_EQ(r.error(), c.error);
  }
}

TEST(client_frames, close_payloads) {
  EXPECT_EQ(parse_close_payload(""),
            (std::pair<std::uint16_t, std::string_view>{1005, ""}));
  auto p = ws::close_payload(4008, "too slow");
  auto [code, reason] = parse_close_payload(p);
  EXPECT_EQ(code, 4008);
  EXPECT_EQ(reason, "too slow");
}
