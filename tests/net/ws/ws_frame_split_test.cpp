// Proves the WebSocket frame parser gives the same result however the byte
// stream is cut: read through a Beast test stream at every read size.
#include "net/ws/ws_frame.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <gtest/gtest.h>

namespace ws = h2h::net::ws;
using ws::opcode;

namespace {

std::string client(opcode op, std::string_view payload, bool fin = true) {
  return ws::encode_client_frame(op, payload, 0xa1b2c3d4, fin);
}

/// One message as comparable text, e.g. "text:hi" or "close:1000:bye".
std::string show(const ws::message& m) {
  switch (m.op) {
    case opcode::text:
      return "text:" + m.payload;
    case opcode::binary:
      return "binary:" + m.payload;
    case opcode::ping:
      return "ping:" + m.payload;
    case opcode::pong:
      return "pong:" + m.payload;
    case opcode::close:
      return "close:" + std::to_string(m.close_code) + ":" + m.close_reason;
    default:
      return "continuation?";
  }
}

struct outcome {
  std::vector<std::string> messages;
  std::optional<std::uint16_t> close_code; // set when a violation was found
};

/// Writes `bytes` into a test stream, reads them back at most `k` at a time
/// and feeds each read to a fresh parser.
outcome read_in_pieces(const std::string& bytes, std::size_t k,
                       std::size_t limit) {
  boost::asio::io_context ioc;
  boost::beast::test::stream writer{ioc};
  boost::beast::test::stream reader{ioc};
  boost::beast::test::connect(writer, reader);
  boost::asio::write(writer, boost::asio::buffer(bytes));
  writer.close();
  reader.read_size(k);
  ws::parser p{limit};
  std::vector<ws::message> out;
  outcome r;
  char buf[4096];
  std::size_t total = 0;
  for (;;) {
    boost::beast::error_code ec;
    auto n = reader.read_some(boost::asio::buffer(buf), ec);
    if (ec == boost::asio::error::eof)
      break;
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_LE(n, k);
    total += n;
    if (auto v = p.feed(std::string_view{buf, n}, out)) {
      r.close_code = v->close_code;
      break;
    }
  }
  if (!r.close_code) {
    EXPECT_EQ(total, bytes.size()) << "k = " << k;
    EXPECT_TRUE(p.at_boundary()) << "k = " << k;
  }
  for (auto& m : out)
    r.messages.push_back(show(m));
  return r;
}

outcome feed_in_two(const std::string& bytes, std::size_t i,
                    std::size_t limit) {
  ws::parser p{limit};
  std::vector<ws::message> out;
  outcome r;
  std::string_view all{bytes};
  auto v = p.feed(all.substr(0, i), out);
  if (!v)
    v = p.feed(all.substr(i), out);
  if (v)
    r.close_code = v->close_code;
  for (auto& m : out)
    r.messages.push_back(show(m));
  return r;
}

/// Text, a fragmented text with a ping between fragments and a character
/// cut between fragments, a binary with a 16-bit length, a pong, a close.
std::string session_bytes() {
  return client(opcode::text, "first") + client(opcode::text, "frag-", false)
         + client(opcode::ping, "p!")
         + client(opcode::continuation, "men\xe2\x82", false)
         + client(opcode::continuation, "\xacted")
         + client(opcode::binary, std::string(300, '\x07'))
         + client(opcode::pong, "")
         + client(opcode::close, ws::close_payload(1000, "done"));
}

const std::vector<std::string> session_messages = {
  "text:first",
  "ping:p!",
  "text:frag-men\xe2\x82\xacted",
  "binary:" + std::string(300, '\x07'),
  "pong:",
  "close:1000:done",
};

} // namespace

TEST(ws_parser_split, same_messages_at_every_read_size) {
  auto bytes = session_bytes();
  for (std::size_t k = 1; k <= bytes.size(); ++k) {
    auto r = read_in_pieces(bytes, k, 1 << 20);
    ASSERT_FALSE(r.close_code) << "k = " << k;
    ASSERT_EQ(r.messages, session_messages) << "k = " << k;
  }
}

TEST(ws_parser_split, same_messages_at_every_single_cut) {
  auto bytes = session_bytes();
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    auto r = feed_in_two(bytes, i, 1 << 20);
    ASSERT_FALSE(r.close_code) << "cut at " << i;
    ASSERT_EQ(r.messages, session_messages) << "cut at " << i;
  }
}

TEST(ws_parser_split, too_big_is_found_at_every_read_size) {
  // Two good messages, then a fragment that pushes the message past 64 bytes.
  auto bytes = client(opcode::text, "ok") + client(opcode::ping, "")
               + client(opcode::text, std::string(40, 'a'), false)
               + client(opcode::continuation, std::string(40, 'b'));
  std::vector<std::string> before = {"text:ok", "ping:"};
  for (std::size_t k = 1; k <= bytes.size(); ++k) {
    auto r = read_in_pieces(bytes, k, 64);
    ASSERT_EQ(r.close_code, std::optional<std::uint16_t>{1009}) << "k = " << k;
    ASSERT_EQ(r.messages, before) << "k = " << k;
  }
}

TEST(ws_parser_split, bad_utf8_is_found_at_every_single_cut) {
  auto bytes = client(opcode::text, "fine")
               + client(opcode::text, "a\xe2\x82", false)
               + client(opcode::continuation, "b");
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    auto r = feed_in_two(bytes, i, 1 << 20);
    ASSERT_EQ(r.close_code, std::optional<std::uint16_t>{1007}) << i;
    ASSERT_EQ(r.messages, std::vector<std::string>{"text:fine"}) << i;
  }
}
