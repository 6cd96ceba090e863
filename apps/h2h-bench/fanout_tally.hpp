// The receive side of a fanout run: frames in, deliveries, ACKs and figures
// out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
#include "report.hpp"
#include "stats.hpp"
#include "stomp_frames.hpp"

namespace h2h::bench {

/// Where fanout puts connections and publishers: connection j is in room
/// j % R; publisher i is connection i, so publishers spread over the rooms
/// like everyone else and room r's k-th publisher is i = r + k * R.
struct fanout_layout {
  std::size_t conns = 0, rooms = 0, publishers = 0;

  std::size_t room_of(std::size_t conn) const {
    return conn % rooms;
  }
  std::size_t room_size(std::size_t room) const {
    return conns / rooms + (room < conns % rooms ? 1 : 0);
  }
  /// Index of publisher i among its room's publishers.
  std::size_t stream_of(std::size_t publisher) const {
    return publisher / rooms;
  }
  std::size_t max_publishers_per_room() const {
    return (publishers + rooms - 1) / rooms;
  }
};

/// Counts everything a fanout run receives, without sockets or timers, so
/// the accounting can be tested with hand-made frames. Receivers find the
/// fields by string search: a JSON parser per delivery would make the
/// generator the bottleneck.
class fanout_tally {
public:
  fanout_tally(protocol proto, fanout_layout layout);

  /// What a frame means for the sending side.
  struct effect {
    bool entered = false; ///< the connection's own ENTER notice / "joined"
    /// A publisher whose window slot is free again: its ACK (h2h), its own
    /// echo (plain) or an ERROR naming its message.
    std::optional<std::size_t> freed;
    bool connected = false; ///< STOMP's CONNECTED: time to SUBSCRIBE
  };

  /// Accounts one frame received by `conn` at `now_ns`.
  effect on_frame(std::size_t conn, std::string_view text, std::int64_t now_ns);

  /// Accounts one STOMP frame (--proto stomp): the body of a MESSAGE is a
  /// delivery, the RECEIPT of a SEND its ACK, that of the SUBSCRIBE says
  /// "in", an ERROR is a refusal.
  effect on_stomp_frame(std::size_t conn, const stomp_frame_view& f,
                        std::int64_t now_ns);

  /// Accounts one message handed to the socket by publisher `pub`.
  void on_publish(std::size_t pub, std::uint64_t seq, std::int64_t send_ns);

  /// Messages sent from now on are in the measured window.
  void start_window(std::int64_t now_ns) {
    window_start_ns_ = now_ns;
  }

  /// Every message sent so far arrived everywhere (and was ACKed or refused).
  bool drained() const;

  /// Copies the counts into a report.
  void fill(fanout_report& r) const;

private:
  /// One measured message on its way to its room's members: when the
  /// first and the last of them received it.
  struct in_flight {
    std::uint64_t seq = UINT64_MAX; ///< UINT64_MAX: free
    std::int64_t first_ns = 0, last_ns = 0;
    std::size_t received = 0;
  };
  struct pub_counts {
    std::uint64_t published = 0, published_measured = 0;
    std::vector<std::int64_t> sent_ns; ///< ring, to time ACKs
    std::vector<in_flight> spreading;  ///< ring, per message figures
  };

  effect deliver(std::size_t conn, std::optional<std::string_view> text,
                 std::int64_t now_ns);
  /// Times a measured message per message: its first member and the spread
  /// to its last, once every member of the room received it.
  void time_message(std::size_t pub, std::uint64_t seq, std::int64_t send_ns,
                    std::int64_t now_ns);
  effect ack(std::size_t conn, std::optional<std::string_view> id,
             std::int64_t now_ns);
  effect refused(std::size_t conn, std::string_view text);
  /// The publisher an ACK or ERROR id names, if it is this connection's.
  std::optional<std::size_t> own_publisher(std::size_t conn,
                                           std::optional<std::string_view> id,
                                           std::uint64_t* seq) const;

  protocol proto_;
  fanout_layout layout_;
  delivery_ledger ledger_;
  latency_histogram latency_, ack_latency_;
  latency_histogram first_latency_, spread_;
  std::uint64_t spread_untimed_ = 0;
  std::vector<pub_counts> pubs_;
  std::int64_t window_start_ns_ = INT64_MAX; ///< nothing measured before
  std::uint64_t published_all_ = 0, expected_all_ = 0;
  std::uint64_t acks_ = 0, refused_ = 0, server_errors_ = 0, unexpected_ = 0;
  std::string first_server_error_;
};

} // namespace h2h::bench
