// Bench payloads and frames: encode into reused buffers, decode by string
// search.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace h2h::bench {

/// What a published message carries inside its text.
struct payload {
  std::uint32_t publisher = 0;
  std::uint64_t seq = 0;
  std::int64_t send_ns = 0; ///< steady_clock, same process
  bool operator==(const payload& o) const {
    return publisher == o.publisher && seq == o.seq && send_ns == o.send_ns;
  }
};

/// Appends the text `B<publisher>.<seq>.<send_ns>.` padded with 'x' to
/// exactly `size` characters (longer only if the header itself is longer).
/// Every character is a digit, 'B', '.' or 'x', so it needs no JSON escaping
/// and the receivers can find its end at the next '"'.
void append_payload(std::string& out, const payload& p, std::size_t size);

/// Reads a text written by append_payload; nullopt if it is not one.
std::optional<payload> decode_payload(std::string_view text);

/// `{"type":"MESSAGE","roomId":"bench-R","sender":"p<i>","message":"<payload>",
/// "clientMsgId":"<i>-<seq>-<run_tag>"}`; clears `out` first, keeps its
/// capacity. h2h deduplicates (sender, roomId, clientMsgId) and answers a
/// repeat with an ACK but no broadcast, so a second run against the same
/// server would lose everything without a tag unique to the run.
/// With `named` false the "sender" field is left out: an authenticated
/// connection's sender comes from its token.
void build_h2h_message(std::string& out, std::string_view room_prefix,
                       std::size_t room, const payload& p, std::size_t size,
                       std::string_view run_tag, bool named = true);

/// `{"type":"msg","room":"bench-R","text":"<payload>"}` for the plain peer.
void build_plain_message(std::string& out, std::string_view room_prefix,
                         std::size_t room, const payload& p, std::size_t size);

/// `{"type":"ENTER","roomId":"<prefix><room>","sender":"c<conn>"}` (without
/// "sender" when `named` is false).
void build_h2h_enter(std::string& out, std::string_view room_prefix,
                     std::size_t room, std::size_t conn, bool named = true);

/// `{"type":"join","room":"<prefix><room>"}`.
void build_plain_join(std::string& out, std::string_view room_prefix,
                      std::size_t room);

/// The raw value of the first `"key":"value"` in a JSON text, without a
/// parser: escapes are skipped over but not decoded. Keys the bench looks for
/// appear before any free text in the frames it reads, so the first match is
/// the field itself.
std::optional<std::string_view> find_string_field(std::string_view json,
                                                  std::string_view key);

/// Splits an h2h clientMsgId "<publisher>-<seq>[-<run_tag>]"; the tag is
/// not checked (ACKs only come back to the connection that sent).
std::optional<payload> parse_client_msg_id(std::string_view id);

/// A tag that differs between runs: 8 hex digits from std::random_device.
std::string make_run_tag();

} // namespace h2h::bench
