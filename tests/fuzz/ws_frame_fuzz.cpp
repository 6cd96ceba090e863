// libFuzzer harness of the WebSocket frame parser (net/ws/ws_frame.hpp): one
// byte stream fed at once, byte by byte and in pieces sized by the input
// must give the same messages and the same violation, and every message
// must keep the protocol's limits and survive a re-encoding.
//
// Input: [limit][n][n piece sizes][client bytes...]
//   limit  selects the parser's message limit (kLimits[limit % 8]);
//   n      (% 16) piece sizes follow, each 1..256, used in turn;
//          n = 0 feeds the bytes in one piece.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/protocol/utf8.hpp"
#include "net/ws/ws_frame.hpp"
#include "invariant.hpp"

namespace ws = h2h::net::ws;
using ws::opcode;

namespace {

constexpr std::array<std::size_t, 8> kLimits
  = {1, 2, 16, 125, 126, 256, 4096, 65536};

using h2h::fuzz::check;
using h2h::fuzz::fail;

struct outcome {
  std::vector<ws::message> messages;
  std::optional<ws::violation> violation;
  /// Bytes consumed up to and including the call that reported the
  /// violation (all of them when there was none).
  std::size_t fed = 0;
  bool at_boundary = false;
};

bool same_message(const ws::message& a, const ws::message& b) {
  return a.op == b.op && a.payload == b.payload && a.close_code == b.close_code
         && a.close_reason == b.close_reason;
}

bool same_outcome(const outcome& a, const outcome& b) {
  if (a.messages.size() != b.messages.size())
    return false;
  for (std::size_t i = 0; i < a.messages.size(); ++i)
    if (!same_message(a.messages[i], b.messages[i]))
      return false;
  if (a.violation.has_value() != b.violation.has_value())
    return false;
  return !a.violation || a.violation->close_code == b.violation->close_code;
}

/// Feeds `bytes` in pieces of the given sizes (cycled; empty = one piece),
/// never again after a violation (the parser's contract), releasing memory
/// at message boundaries as the connection does.
outcome run(std::size_t limit, std::string_view bytes,
            const std::vector<std::size_t>& pieces) {
  ws::parser p{limit};
  outcome r;
  std::size_t pos = 0;
  std::size_t i = 0;
  while (pos < bytes.size()) {
    auto n = pieces.empty()
               ? bytes.size() - pos
               : std::min(pieces[i++ % pieces.size()], bytes.size() - pos);
    auto before = r.messages.size();
    r.violation = p.feed(bytes.substr(pos, n), r.messages);
    pos += n;
    check(r.messages.size() >= before, "feed removed messages");
    if (r.violation)
      break;
    if (p.at_boundary())
      p.release_memory();
  }
  r.fed = pos;
  r.at_boundary = p.at_boundary();
  return r;
}

bool valid_close_code(std::uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014)
         || (c >= 3000 && c <= 4999);
}

void check_message(const ws::message& m, std::size_t limit) {
  switch (m.op) {
    case opcode::text:
      check(h2h::net::valid_utf8(m.payload), "text message is not UTF-8");
      [[fallthrough]];
    case opcode::binary:
      check(m.payload.size() <= limit, "data message over the limit");
      break;
    case opcode::ping:
    case opcode::pong:
      check(m.payload.size() <= 125, "control payload over 125 bytes");
      break;
    case opcode::close:
      check(m.payload.empty(), "close carries a payload");
      if (m.close_code == 1005)
        check(m.close_reason.empty(), "1005 with a reason");
      else
        check(valid_close_code(m.close_code), "invalid close code accepted");
      check(m.close_reason.size() <= 123, "close reason over 123 bytes");
      check(h2h::net::valid_utf8(m.close_reason), "close reason not UTF-8");
      break;
    default:
      fail("continuation returned as a message");
  }
}

/// The client frames that carry `m` again (data split in two fragments at
/// `cut`), with a mask key taken from the input.
std::string reencode(const ws::message& m, std::size_t cut,
                     std::uint32_t mask) {
  switch (m.op) {
    case opcode::text:
    case opcode::binary: {
      if (m.payload.empty() || cut == 0)
        return ws::encode_client_frame(m.op, m.payload, mask);
      cut %= m.payload.size() + 1;
      std::string_view all{m.payload};
      return ws::encode_client_frame(m.op, all.substr(0, cut), mask, false)
             + ws::encode_client_frame(opcode::continuation, all.substr(cut),
                                       ~mask);
    }
    case opcode::close:
      return ws::encode_client_frame(
        opcode::close,
        m.close_code == 1005 ? std::string{}
                             : ws::close_payload(m.close_code, m.close_reason),
        mask);
    default:
      return ws::encode_client_frame(m.op, m.payload, mask);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 2)
    return 0;
  auto limit = kLimits[data[0] % kLimits.size()];
  std::size_t n = data[1] % 16;
  if (size < 2 + n)
    return 0;
  std::vector<std::size_t> pieces;
  for (std::size_t i = 0; i < n; ++i)
    pieces.push_back(std::size_t{data[2 + i]} + 1);
  std::string_view bytes{reinterpret_cast<const char*>(data + 2 + n),
                         size - 2 - n};

  auto whole = run(limit, bytes, {});
  auto bytewise = run(limit, bytes, {1});
  auto chunked = run(limit, bytes, pieces);
  check(same_outcome(whole, bytewise), "one piece and byte by byte differ");
  check(same_outcome(whole, chunked), "one piece and chunks differ");

  if (bytewise.violation) {
    // Fed byte by byte, the violation names its byte: the bytes before it
    // hold every message the parser returned, and nothing comes after it.
    check(bytewise.violation->close_code == 1002
            || bytewise.violation->close_code == 1007
            || bytewise.violation->close_code == 1009,
          "unexpected violation close code");
    check(!bytewise.violation->reason.empty(), "violation without a reason");
    auto before = run(limit, bytes.substr(0, bytewise.fed - 1), {});
    check(!before.violation, "a violation before its byte");
    check(before.messages.size() == whole.messages.size(),
          "messages returned after the violation");
  } else {
    check(whole.at_boundary == bytewise.at_boundary
            && whole.at_boundary == chunked.at_boundary,
          "boundary state depends on the pieces");
  }

  for (auto& m : whole.messages)
    check_message(m, limit);

  // Every message, framed again (masked, data in two fragments), parses to
  // itself.
  std::uint32_t mask = 0x9e3779b9u ^ static_cast<std::uint32_t>(size);
  std::size_t k = 0;
  for (auto& m : whole.messages) {
    auto frame = reencode(m, k * 7 + n, mask + static_cast<std::uint32_t>(k));
    ++k;
    auto again = run(limit, frame, {});
    check(!again.violation, "a re-encoded message is refused");
    check(again.messages.size() == 1 && same_message(again.messages[0], m),
          "a re-encoded message parses differently");
    check(again.at_boundary, "a whole frame leaves the parser mid-frame");
  }

  // A parser at a boundary takes the next frame as it comes.
  if (!whole.violation && whole.at_boundary) {
    ws::parser p{limit};
    std::vector<ws::message> out;
    check(!p.feed(bytes, out), "the same bytes now fail");
    out.clear();
    auto ping = ws::encode_client_frame(opcode::ping, "x", 0x01020304);
    check(!p.feed(ping, out) && out.size() == 1 && out[0].op == opcode::ping
            && out[0].payload == "x",
          "a ping after a complete stream is not returned");
  }
  return 0;
}
