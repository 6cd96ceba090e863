// The accounting of a failover run, without sockets or timers: what each
// client received, when it lost its node, came back and caught up; what the
// publishers sent, had refused and acknowledged; and the check against the
// room histories at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace h2h::bench {

/// What one server frame of the raw JSON protocol is, found by string search
/// (a JSON parser per delivery would make the generator the bottleneck).
struct failover_frame {
  std::string_view type; ///< MESSAGE, ENTER, EXIT, ACK, ERROR, ...
  std::optional<std::uint64_t> seq;
  std::optional<std::string_view> client_msg_id;
  std::optional<std::string_view> message; ///< the text, or the error text
};
failover_frame read_failover_frame(std::string_view text);

/// The first `"key":<unsigned number>` in a JSON text; nullopt when absent or
/// not a whole number.
std::optional<std::uint64_t> find_uint_field(std::string_view json,
                                             std::string_view key);

/// p50/p99/max and the first of a set of per-client times, in seconds.
struct spread {
  std::optional<double> first, p50, p99, max;
  std::size_t count = 0;
};
/// Nearest-rank quantiles of `values` (sorted by the call).
spread spread_of(std::vector<double> values);

/// One room's committed events as the store has them.
struct history_room {
  std::vector<std::uint64_t> seqs;         ///< in the order read
  std::vector<std::string> client_msg_ids; ///< "" for notices
};

/// One room of the run: its id and which node owns it before and after the
/// kill (empty when the nodes could not be asked).
struct failover_room {
  std::string id, owner_before, owner_after;
  std::optional<double> serving_s; ///< kill -> first ACK of a later send
  std::uint64_t history_events = 0;
};

/// Everything `failover` reports.
struct failover_report {
  bool completed = false;
  std::string failure;
  std::size_t receivers = 0, publishers = 0, survivors = 0;
  double rate = 0, warmup_s = 0, after_s = 0;
  double connect_s = 0; ///< until every client had entered, before the load
  std::vector<failover_room> rooms;
  // Receivers, times from the kill.
  std::size_t lost_connection = 0, back = 0, caught_up = 0, gave_up = 0;
  std::uint64_t attempts = 0, open_failures = 0, enter_refusals = 0;
  /// Re-ENTERs never answered (no event, no ERROR) within --enter-timeout;
  /// the client then reconnected to the next survivor.
  std::uint64_t enter_timeouts = 0;
  std::size_t clients_timed_out = 0;
  spread lost_s, reconnected_s, entered_s, caught_up_s;
  // Deliveries, checked against history.
  std::uint64_t received = 0, duplicates = 0, out_of_order = 0, gaps = 0;
  /// Committed before the close (as the publishers saw), never received.
  std::uint64_t behind_at_end = 0;
  std::size_t clients_with_gaps = 0;
  bool history_checked = false;
  std::uint64_t history_seq_repeats = 0, acked_not_stored = 0, stored_twice = 0,
                ack_seq_mismatch = 0;
  // Publishers (connections on the survivors).
  std::uint64_t sent = 0, acked = 0, refused = 0, refused_after_kill = 0,
                resent = 0, unacked = 0, publisher_losses = 0, skipped = 0;
  std::optional<double> first_refusal_s, last_refusal_s, ack_stall_ms;
  std::string first_error;
  /// Up to 10 receivers that did not come back or catch up, described.
  std::vector<std::string> stragglers;
  // CPU from the kill to the end of the run.
  std::vector<std::pair<int, std::optional<double>>> server_cpu_s;
  double window_s = 0, generator_cpu_s = 0;
};

nlohmann::json to_json(const failover_report& r);
/// The run in one line (for logs), then the details.
std::string summary_line(const failover_report& r);
std::string to_text(const failover_report& r);

/// Connections 0..receivers-1 are the receivers (room j % rooms); publisher
/// k is connection receivers + k (room k % rooms).
class failover_tally {
public:
  failover_tally(std::size_t receivers, std::size_t rooms,
                 std::size_t publishers);

  std::size_t room_of(std::size_t conn) const;
  bool is_publisher(std::size_t conn) const {
    return conn >= receivers_;
  }

  /// A room event (MESSAGE, ENTER, EXIT with a seq) reached `conn`.
  void on_event(std::size_t conn, std::uint64_t seq, std::int64_t now_ns);
  /// `conn` entered its room before the load (its first room event).
  bool entered_initially(std::size_t conn) const;

  void on_kill(std::int64_t now_ns) {
    kill_ns_ = now_ns;
  }
  std::optional<std::int64_t> kill_ns() const {
    return kill_ns_ < 0 ? std::nullopt : std::optional{kill_ns_};
  }

  /// Receivers' way back: the connection dropped, a new one opened, the
  /// ENTER went out (returns its lastSeq), an attempt failed, the ENTER was
  /// refused, the client gave up.
  void on_lost(std::size_t conn, std::int64_t now_ns);
  void on_reopened(std::size_t conn, std::int64_t now_ns);
  std::optional<std::uint64_t> on_enter_sent(std::size_t conn,
                                             std::int64_t now_ns);
  void on_attempt(std::size_t conn);
  void on_open_failed(std::size_t conn);
  void on_enter_refused(std::size_t conn);
  /// The re-ENTER brought nothing within --enter-timeout.
  void on_enter_timeout(std::size_t conn);
  void on_gave_up(std::size_t conn);
  bool back(std::size_t conn) const;
  bool caught_up(std::size_t conn) const;
  bool gave_up(std::size_t conn) const;
  unsigned attempts(std::size_t conn) const;
  /// What a client that did not catch up went through, for the report.
  std::string describe(std::size_t conn) const;
  std::optional<std::int64_t> lost_at(std::size_t conn) const;

  /// Publisher k's messages: `seq` is the bench's own number (clientMsgId
  /// "<k>-<seq>-<tag>").
  void on_publish(std::size_t k, std::uint64_t seq, std::int64_t now_ns);
  void on_resend(std::size_t k, std::uint64_t seq);
  void on_ack(std::size_t k, std::uint64_t seq, std::uint64_t room_seq,
              std::int64_t now_ns);
  /// Returns false when the message is not pending (already acknowledged).
  bool on_refused(std::size_t k, std::uint64_t seq, std::int64_t now_ns,
                  std::string_view text);
  void on_skipped() {
    ++skipped_;
  }
  void on_publisher_lost() {
    ++publisher_losses_;
  }
  /// Refused messages of publisher k due for a resend at `now_ns` (marked
  /// sent again by on_resend).
  std::vector<std::uint64_t> due_resends(std::size_t k,
                                         std::int64_t now_ns) const;
  std::size_t pending(std::size_t k) const {
    return pubs_[k].pending.size();
  }
  bool all_acked() const;
  /// The highest seq any publisher of `room` has seen: the room's latest
  /// as far as the survivors know.
  std::uint64_t room_latest(std::size_t room) const {
    return room_latest_[room];
  }
  /// Every receiver that came back has the latest its room's publishers saw.
  bool receivers_at_latest() const;
  /// The run stops reading: what is committed later (the clients' own EXIT
  /// notices as they close) is not owed to anyone.
  void on_close() {
    latest_at_close_ = room_latest_;
  }

  /// The figures, with `history` (one entry per room) when it could be read;
  /// `run_tag` picks this run's messages out of the history.
  void fill(failover_report& r,
            const std::vector<std::optional<history_room>>& history,
            std::string_view run_tag) const;

private:
  struct client {
    std::vector<std::uint64_t> seqs; ///< ascending
    std::uint64_t duplicates = 0, out_of_order = 0;
    bool truncated = false; ///< more seqs than the bound: no gap check
    std::int64_t first_event_ns = -1;
    std::int64_t lost_ns = -1, reopened_ns = -1, enter_sent_ns = -1,
                 entered_ns = -1, caught_up_ns = -1;
    std::uint64_t enter_last_seq = 0, target = 0;
    unsigned attempts = 0, open_failures = 0, enter_refusals = 0,
             enter_timeouts = 0;
    bool gave_up = false;
  };
  struct pending_msg {
    std::int64_t first_sent_ns = 0;
    std::int64_t resend_at_ns = -1; ///< refused: due again then
    unsigned refusals = 0;
  };
  struct publisher {
    std::map<std::uint64_t, pending_msg> pending;
    std::map<std::uint64_t, std::uint64_t> acked; ///< own seq -> room seq
    std::uint64_t sent = 0, refused = 0, refused_after_kill = 0, resent = 0;
  };

  std::size_t receivers_, rooms_;
  std::vector<client> clients_;
  std::vector<publisher> pubs_;
  std::vector<std::uint64_t> room_latest_, latest_at_close_;
  std::vector<std::int64_t> room_serving_ns_; ///< -1: not yet
  std::vector<std::int64_t> ack_times_ns_;    ///< bounded, for the stall
  std::int64_t kill_ns_ = -1;
  std::int64_t first_refusal_ns_ = -1, last_refusal_ns_ = -1;
  std::uint64_t skipped_ = 0, publisher_losses_ = 0;
  std::string first_error_;
};

} // namespace h2h::bench
