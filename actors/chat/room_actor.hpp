// The room actor: one per active room; assigns seqs, dedupes, has every
// event committed before anyone sees it, replays, and fans out.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/chat/client_link.hpp"
#include "actors/chat/dedupe_window.hpp"
#include "actors/chat/ring_event.hpp"
#include "actors/vocabulary/type_ids.hpp"
#include "actors/vocabulary/metrics.hpp"
#include "actors/vocabulary/protocol_name.hpp"
#include "actors/chat/room_creation.hpp"
#include "actors/chat/room_rate.hpp"
#include "actors/push/push_dispatcher.hpp"

namespace h2h {

/// What every room on a node shares: settings and injected functions.
struct room_env {
  std::chrono::milliseconds idle_timeout{60000};
  std::size_t replay_ring = 256;
  std::size_t dedupe_window = 4096;
  /// Events read from the store per replay step.
  std::size_t replay_chunk = 1000;
  /// An ENTER of a room nobody created creates it (DESIGN.md §2.1), at most
  /// `rooms_created_per_hour` per creator; the directory tracks at most
  /// `creators_tracked` creators.
  bool create_on_enter = true;
  std::size_t rooms_created_per_hour = 60;
  std::size_t creators_tracked = 10000;
  /// Longest wait for the store when the room loads, and for the whole
  /// replay of one ENTER (then CHAT_006). Sessions wait longer for an ENTER
  /// (see session_env::request_timeout), so the room's answer comes first.
  std::chrono::milliseconds read_timeout{10000};
  /// Bytes of live events one replay may hold back while it reads the
  /// store; past this it drops them and reads them from the store later.
  std::size_t replay_hold_bytes = 262144;
  /// Cluster: the longest wait for the owner node's answer to a relay's
  /// subscription or to an ENTER it forwards (a dead peer may answer never).
  std::chrono::milliseconds cluster_timeout{3000};
  /// Admin: the longest wait for this node's rooms to answer a question
  /// (shorter than the admin actor's wait per node), and the most rooms
  /// asked for one listing.
  std::chrono::milliseconds admin_timeout{1000};
  std::size_t admin_scan_max = 10000;
  /// Wall-clock milliseconds since the epoch (injected so tests control it).
  std::function<std::int64_t()> now_ms;
  persistence_actor persistence;
  /// The node's push dispatcher; null: push is off and rooms hand it nothing.
  push_dispatcher_actor push;
  /// Never null.
  std::shared_ptr<node_metrics> metrics = std::make_shared<node_metrics>();
};

using room_env_ptr = std::shared_ptr<const room_env>;

/// A session present in the room, or entering it while its replay is read.
struct room_member {
  session_actor handle;
  /// Where broadcasts go (see enter_request::sink); may be null.
  std::shared_ptr<client_link> sink;
  /// Whom its member blocks (enter_request::blocked); null: nobody. Next to
  /// `sink`: the fan-out reads both per delivery, from one cache line.
  block_list blocked;
  std::string sender;
  std::int64_t sender_id = 0;
  /// The highest seq handed to this member. The room never hands it a seq
  /// at or below this again: a second ENTER, a replay meeting live events
  /// and a stale replay answer cannot repeat anything.
  std::uint64_t delivered = 0;
  /// Non-zero while its ENTER waits for a replay from the store: the key of
  /// that replay in room_state::replays. Such a member is not in the room
  /// yet: live events wait in the replay, no ENTER notice has gone out, and
  /// it leaves without an EXIT notice.
  std::uint64_t replay = 0;
  /// In a cluster: a relay's subscription (gets every event, is nobody) or
  /// a session of another node (admission and notices here, events through
  /// `via`, its node's relay).
  enter_role role = enter_role::session;
  room_actor via{};
  /// Entered again after a move: no ENTER notice.
  bool quiet = false;
  /// Its wire protocol (enter_request::protocol as protocol_name()'s
  /// copy), for the admin actor.
  const char* protocol = "";
};

/// An ENTER whose replay is being read from the store. The ENTER is
/// answered only when the replay is complete, or refused (CHAT_006).
struct replay_job {
  caf::actor_addr member;
  /// The member's lastSeq: it had every event up to here.
  std::uint64_t from = 0;
  /// The store is read up to here (the committed seq when reading began).
  std::uint64_t upto = 0;
  /// The whole replay (every chunk) must be done by then.
  caf::actor_clock::time_point deadline;
  /// Live events committed meanwhile, in seq order, at most
  /// room_env::replay_hold_bytes of them.
  std::vector<event_ptr> held;
  std::size_t held_bytes = 0;
  /// Events went past the byte bound and were dropped: the replay reads
  /// them from the store (or the ring) before it ends.
  bool overflowed = false;
  /// The ENTER, and any repeat of it, waiting for the answer.
  std::vector<caf::typed_response_promise<enter_reply>> waiters;
};

/// An event sent to the store and not committed yet.
struct uncommitted {
  room_event event;
  /// The publisher and anyone who retried the same clientMsgId meanwhile.
  std::vector<caf::typed_response_promise<publish_ack>> waiters;
  /// Times another writer took the seq it had (it then gets a new one).
  int conflicts = 0;
};

/// An ENTER from further than the room knows (its lastSeq is above the
/// committed seq: another writer committed more), answered once the room
/// caught up with the store.
struct deferred_enter {
  enter_request req;
  caf::typed_response_promise<enter_reply> promise;
};

struct room_state {
  std::string id;
  room_env_ptr env;
  directory_actor directory;
  /// Highest seq handed out; seqs above `committed_seq` are in the store's
  /// hands and seen by no one yet.
  std::uint64_t last_seq = 0;
  std::uint64_t committed_seq = 0;
  std::deque<uncommitted> pending;
  /// clientMsgId key -> seq, for events in `pending`.
  std::unordered_map<std::string, std::uint64_t> pending_ids;
  /// After a seq conflict the room asks the store for its last seq before
  /// it hands out more: meanwhile the last `unsent` events of `pending`
  /// wait and get their seqs afterwards. `seq_stale`: a reload failed, the
  /// next event tries again.
  bool reloading = false;
  bool seq_stale = false;
  std::size_t unsent = 0;
  /// While reloading, the room also catches up with what other writers
  /// committed (room_fence.hpp): it first waits until the store answered
  /// every append it sent (`catchup_waits`); its own events committed
  /// meanwhile wait in `held_commits` (at most those appends), so that
  /// every member gets every seq in order, whoever wrote it.
  bool catchup_waits = false;
  std::vector<event_ptr> held_commits;
  /// ENTERs waiting for the catch-up (at most room_fence.hpp's unsent_max).
  std::vector<deferred_enter> deferred;
  std::unordered_map<caf::actor_addr, room_member> members;
  /// Replays being read, by epoch (ascending = oldest deadline first). A
  /// fresh epoch per replay: an answer for an epoch that is gone is stale.
  std::map<std::uint64_t, replay_job> replays;
  std::uint64_t last_replay_epoch = 0;
  /// One timer watches the oldest replay's deadline (CAF 0.17 never
  /// cancels request timeouts; they would pile up per store read).
  bool replay_timer_armed = false;
  caf::actor_clock::time_point replay_timer_due;
  /// Recent committed events for replay, oldest first. Plain records, not
  /// the shared events of the fan-out: those (and their encodings) are freed
  /// once every member's connection wrote them, which halves what an idle
  /// room holds per event; a replay from the ring wraps and encodes again.
  /// Without the room's id or a notice's usual text (`ring_event`).
  std::deque<ring_event> ring;
  dedupe_window recent{0};
  /// Who may enter: everyone (public) or the members listed (private).
  bool is_private = false;
  std::unordered_set<std::int64_t> allowed;
  /// Members recorded as members of this public room already.
  std::unordered_set<std::int64_t> recorded;
  /// Members who deleted their account while the room ran (at most
  /// forgotten_max, then it starts afresh): their sessions leave without a
  /// notice, they may not post, and their events enter the ring under
  /// deleted_member_name.
  std::unordered_set<std::int64_t> forgotten;
  static constexpr std::size_t forgotten_max = 1024;
  /// ENTERs received through the directory (see directory's idle protocol).
  std::uint64_t enters_seen = 0;
  /// Bumped whenever the room stops being idle; stale idle checks ignore.
  std::uint64_t idle_generation = 0;
  /// The persistence actor refused an append of this room because its
  /// queue was full (persistence_settings::queue_max), and none of the
  /// room's appends was committed since while some still wait: new members
  /// are refused (CHAT_006) and EXIT notices skipped, as an append would be
  /// refused too. The store's answers alone set and clear it.
  bool store_full = false;
  /// Set when the room does not exist and may not be created: every ENTER
  /// gets this error until the room stops (room_admission.hpp).
  caf::error refused;
  /// A relay (cluster): this actor mirrors, for this node's sessions, a room
  /// owned by another node. It subscribes through `owner_directory` (the
  /// owner node's directory) and then talks to the owner room `upstream`.
  bool is_relay = false;
  directory_actor owner_directory;
  room_actor upstream;
  /// The owner is handing the room over (its owner node changed): new
  /// ENTERs and messages are refused (CHAT_006, retry); once what waits is
  /// committed the members are sent where the room lives now.
  bool moving = false;
  /// A relay's publishes sent to the owner and not answered yet: when the
  /// owner goes away they are refused (CHAT_006, retry with the same
  /// clientMsgId) instead of waiting for an answer that never comes. Bounded
  /// by the members' read windows.
  std::unordered_map<std::uint64_t, caf::typed_response_promise<publish_ack>>
    forwarded;
  std::uint64_t last_forwarded = 0;
  /// A relay's ENTERs sent to the owner and not answered yet: refused at
  /// once when the owner goes away (the relay ends, and an answer from a
  /// dead node never comes). Bounded by one ENTER in flight per session.
  std::unordered_map<std::uint64_t, caf::typed_response_promise<enter_reply>>
    relaying;
  std::uint64_t last_relaying = 0;
  /// For the admin actor: messages per second over the last minute, and
  /// the wall-clock ms of the last event (room_admin.hpp).
  room_rate rate;
  std::int64_t last_activity_ms = 0;

  static inline const char* name = "h2h.room";
};

/// The room's own interface: the public one and its timers.
using room_impl = room_actor::extend<
  caf::reacts_to<idle_chk_atom, std::uint64_t>, // may the room stop?
  caf::reacts_to<replay_chk_atom>>;             // a replay's deadline

using room_pointer = room_impl::stateful_pointer<room_state>;

/// Spawnable behaviour of a room. It loads its last seq and recent events
/// from the store before it handles anything else; a room nobody created
/// yet is created for `creator` when the directory allows it.
room_impl::behavior_type room(room_pointer self, std::string id,
                              room_env_ptr env, directory_actor directory,
                              room_creator creator);

/// Spawnable behaviour of a relay (cluster): the room of another node
/// (`owner`: that node's directory), for this node's sessions. It subscribes
/// to the owner before it handles anything else; its sessions enter at the
/// owner (admission, notices) and here (delivery and replay, from its ring or
/// the shared store); their messages go to the owner. `creator` is whoever's
/// ENTER made the directory start it (the owner may create the room for them).
room_impl::behavior_type relay(room_pointer self, std::string id,
                               room_env_ptr env, directory_actor directory,
                               directory_actor owner, room_creator creator);

} // namespace h2h
