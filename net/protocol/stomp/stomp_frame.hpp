// STOMP 1.0-1.2 frames as a pure codec: an incremental parser fed with
// each WebSocket message (frames may span messages or share one) and a
// serializer, both escaping header values per version. No sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace h2h::net::stomp {

/// A negotiated STOMP version.
enum class version : std::uint8_t { v1_0, v1_1, v1_2 };

/// "1.0", "1.1" or "1.2".
std::string_view version_name(version v);

struct header {
  std::string name;
  std::string value;
};

/// One frame: its command, headers in order (repeats kept) and body.
struct frame {
  std::string command;
  std::vector<header> headers;
  std::string body;

  /// The value of the first header called `name` (STOMP 1.2: a repeated
  /// header's first value wins), or null.
  const std::string* find(std::string_view name) const;
};

/// Limits on a client's frames; each gives a clear error when exceeded.
struct frame_limits {
  std::size_t max_headers = 64;
  /// One line (the command or one header), without its EOL.
  std::size_t max_header_bytes = 8192;
  std::size_t max_body_bytes = 65536;
  /// From the command to the closing NUL, inclusive.
  std::size_t max_frame_bytes = 65536 + 16384;
};

/// One EOL between frames: the peer's heart-beat.
struct heartbeat {};

/// The input cannot be parsed any further; the parser stays failed.
struct parse_error {
  std::string message;
};

using parsed = std::variant<frame, heartbeat, parse_error>;

/// The parser of one connection's byte stream. Incremental: bytes are
/// scanned once, however the stream is split.
class parser {
public:
  explicit parser(frame_limits limits = {})
    : limits_(limits) {
  }

  /// Header values are unescaped per `v` from now on (1.2 until set;
  /// CONNECT, STOMP and CONNECTED are never unescaped).
  void set_version(version v) {
    version_ = v;
  }

  /// Appends what `bytes` complete to `out`: frames, heart-beats and at
  /// most one error, after which nothing more is parsed.
  void feed(std::string_view bytes, std::vector<parsed>& out);

  /// True while no partial frame is buffered.
  bool at_boundary() const {
    return stage_ == stage::between && pending_cr_ == false
           && pos_ == buf_.size();
  }

  bool failed() const {
    return stage_ == stage::failed;
  }

private:
  enum class stage : std::uint8_t { between, lines, body, failed };

  void fail(std::vector<parsed>& out, std::string message);
  /// Handles one complete line [begin, end) (EOL excluded); false on error.
  bool on_line(std::size_t begin, std::size_t end, std::vector<parsed>& out);
  /// Tries to finish the body; false when more bytes are needed or failed.
  bool finish_body(std::vector<parsed>& out);
  void compact();

  frame_limits limits_;
  version version_ = version::v1_2;
  std::string buf_;
  /// Where the current frame starts, and the next byte to look at.
  std::size_t start_ = 0;
  std::size_t pos_ = 0;
  /// Lines stage: bytes before this hold no EOL.
  std::size_t scan_ = 0;
  stage stage_ = stage::between;
  bool pending_cr_ = false;
  bool seen_command_ = false;
  std::size_t body_start_ = 0;
  /// -1: no content-length, the body ends at the first NUL.
  long long content_length_ = -1;
  frame current_;
};

/// Appends "name:value\n" with the value (and name) escaped per `v`;
/// `escape` false for CONNECT/CONNECTED frames.
void append_header(std::string& out, std::string_view name,
                   std::string_view value, version v, bool escape = true);

/// The wire form of `f` (headers escaped per `v` unless it is a CONNECT,
/// STOMP or CONNECTED frame), ending with a NUL. A content-length header
/// is added when the body is not empty and `f` has none.
std::string serialize(const frame& f, version v);

/// Reads a header value that must be a decimal number (digits only).
bool parse_number(std::string_view s, std::uint64_t& out);

/// Unescapes a header value per `v`; false on an undefined escape.
bool unescape(std::string_view in, version v, std::string& out);

} // namespace h2h::net::stomp
