// The session actor: one per client connection, the only user of its link.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/chat/client_link.hpp"
#include "actors/chat/entered_rooms.hpp"
#include "actors/chat/session_ticker.hpp"
#include "actors/chat/token_bucket.hpp"
#include "actors/vocabulary/type_ids.hpp"
#include "actors/vocabulary/metrics.hpp"
#include "actors/vocabulary/protocol_name.hpp"

namespace h2h {

/// Who is on the other end of a connection.
struct session_identity {
  /// True when a token proved the identity; frames may then not name others.
  bool authenticated = false;
  std::int64_t member_id = 0;
  std::string name;
  /// The wire protocol of the connection ("raw-json", "stomp", "sse"),
  /// protocol_name()'s copy, set by the network layer where the session is
  /// made; rooms count their subscribers by it for the admin actor.
  const char* protocol = "";
  /// Whom the member blocks (null: nobody), read with the session at the
  /// upgrade and replaced by block_atom when it changes.
  block_list blocked{};
};

/// Settings every session shares.
struct session_env {
  /// Longest wait for the answer to an ENTER. Longer than a new room's
  /// load, creation permit and creation, or a room's load plus its replay
  /// deadline (room_env::read_timeout each), so the room's own answer or
  /// refusal comes first; an answer after it is adopted.
  std::chrono::milliseconds request_timeout{35000};
  /// Longest wait for a publish to be committed (the store may be down).
  std::chrono::milliseconds publish_timeout{60000};
  /// The deadline tick comes at most this long after it is armed, then
  /// again while anything waits: CAF 0.17 cannot cancel a delayed
  /// message, and each holds ~180 bytes and the session in the actor
  /// clock until it fires. Ticking early bounds that to this span after
  /// an ENTER or a publish is answered, instead of its whole timeout (an
  /// idle connection's memory, docs/benchmarks.md).
  std::chrono::milliseconds deadline_tick{2000};
  /// The node's one timer for far deadlines (ENTERs, publishes): a session
  /// asks it for a tick instead of arming a CAF timer of its own, which
  /// would wake the actor clock's thread per session. Null: each session
  /// arms its own (tests that step the clock per session).
  session_ticker_actor ticker;
  /// Never null.
  std::shared_ptr<node_metrics> metrics = std::make_shared<node_metrics>();
  /// Messages per second and burst a connection may send; ENTER and EXIT
  /// take from the same bucket.
  double message_rate = 20;
  double message_burst = 40;
  /// Rooms a connection may be in at once.
  std::size_t rooms_per_session = 100;
  /// Cluster: when a room moved, the session enters it again; each try
  /// waits this long for the answer, and tries `rejoin_tries` times with a
  /// growing pause (the node set may still be settling) before it tells
  /// the client to ENTER again itself.
  std::chrono::milliseconds rejoin_timeout{5000};
  int rejoin_tries = 6;
  /// The node's admin actor: each session announces itself to it when it
  /// starts (one message; the admin actor monitors it). Null: none.
  admin_actor admin;
};

/// A room that moved (cluster), being entered again.
struct rejoin_job {
  std::string room_id;
  std::string sender;
  /// The last seq this session was handed in the room.
  std::uint64_t after = 0;
  int attempt = 0;
};

/// An ENTER sent to the directory: the one in flight (while `entering`) or
/// one given up at its deadline whose answer may still come.
struct pending_enter {
  std::uint64_t id = 0;
  caf::actor_clock::time_point deadline;
  /// The ENTER, for its answer.
  reply_to to;
  /// Given up, and the client sent EXIT for the room since: a late
  /// admission is undone instead of adopted.
  bool exit_wanted = false;
};

/// A publish waiting for its room's answer.
struct pending_publish {
  std::uint64_t id = 0;
  caf::actor_clock::time_point deadline;
  /// The MESSAGE, for its answer.
  reply_to to;
  /// Cluster: what was sent, kept to send again when the room moves.
  publish_request req;
  /// The room actor it went to last.
  caf::actor_addr sent_to;
  /// Times sent again after a move (bounded by `max_resends`).
  std::uint8_t resends = 0;
  /// Refused because its room moves: sent again once the session entered
  /// the room where it lives now (or refused if that fails).
  bool held_for_move = false;
  static constexpr std::uint8_t max_resends = 3;
};

struct session_state {
  client_link_ptr link;
  directory_actor directory;
  session_identity identity;
  /// Shared by every session of the node; never null.
  std::shared_ptr<const session_env> env;
  /// Rooms this connection entered.
  entered_rooms rooms;
  /// Messages, ENTERs and EXITs of this connection.
  token_bucket sends;
  /// An ENTER is in flight; frames that arrive meanwhile wait in `backlog`
  /// (so do they while a moved room is entered again).
  bool entering = false;
  /// Rooms being entered again after a move (at most rooms_per_session).
  std::vector<rejoin_job> rejoins;
  std::vector<client_command> backlog;
  /// The ENTER in flight (last, while `entering`) and those given up before
  /// it, oldest first; at most `max_late_enters` given up ones are kept.
  std::vector<pending_enter> enters;
  static constexpr std::size_t max_late_enters = 4;
  /// Publishes not answered yet, oldest first (ids and deadlines ascend;
  /// the connection's read window bounds how many). One timer per session
  /// checks their deadline instead of a CAF request timeout per publish:
  /// CAF 0.17 never cancels those, so each held ~150 bytes and the session
  /// for the whole publish timeout, and fired for nothing.
  std::vector<pending_publish> publishing;
  /// The last id given to a publish or an ENTER (one counter for both).
  std::uint64_t last_publish = 0;
  /// One tick watches the earliest deadline (publishes and the ENTER).
  bool deadline_timer_armed = false;
  /// A tick was asked of the node's ticker and has not come yet.
  bool ticker_asked = false;
  /// The connection went away (disconn): nothing to close at the end.
  bool disconnected = false;
  /// The member's blocks changed during this session: a room entered
  /// from now on is told the newest list once the ENTER is answered (an
  /// ENTER in flight may carry an older one).
  bool blocks_changed = false;
  caf::actor_clock::time_point deadline_timer_due;

  session_state() = default;
  session_state(const session_state&) = delete;
  session_state& operator=(const session_state&) = delete;

  /// CAF 0.17 destroys the state when the actor terminates: the session
  /// stops counting here (an attached functor would cost a heap node), and
  /// a session that ends for any other reason than its connection going
  /// away (an error, an exception, a kill) closes that connection with 1011
  /// instead of leaving the client talking to no one.
  ~session_state();

  static inline const char* name = "h2h.session";
};

/// The session's own interface: the public one and its deadline timer.
using session_impl
  = session_actor::extend<caf::reacts_to<sess_due_atom>,
                          // The node's ticker answers an ask.
                          caf::reacts_to<sess_tick_atom>,
                          // Try again to enter a moved room (room id).
                          caf::reacts_to<rejoin_atom, std::string>>;

using session_pointer = session_impl::stateful_pointer<session_state>;

/// Spawnable behaviour of a session.
session_impl::behavior_type session(session_pointer self, client_link_ptr link,
                                    directory_actor directory,
                                    session_identity identity,
                                    std::shared_ptr<const session_env> env);

} // namespace h2h
