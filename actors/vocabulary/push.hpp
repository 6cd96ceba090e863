// What the push dispatcher is fed and what a push sender reports: plain
// records with their own type-ID block after h2h's (no curl, no JSON).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/vocabulary/type_ids.hpp"

namespace h2h {

/// A committed chat message and the members to notify about it (those with
/// no live session in the room; never the sender).
struct push_notice {
  room_event event;
  /// The room's display name; empty: the title is the sender.
  std::string room_name;
  std::vector<std::int64_t> members;
};

inline bool operator==(const push_notice& x, const push_notice& y) {
  return x.event == y.event && x.room_name == y.room_name
         && x.members == y.members;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, push_notice& x) {
  return f(caf::meta::type_name("push_notice"), x.event, x.room_name,
           x.members);
}

/// What a room's owner hands the dispatcher after each committed MESSAGE:
/// the shared event itself (no copy on the room's thread) and the members
/// with a live session in the room (cluster-wide). The dispatcher finds the
/// absent members from the room's roster, off the room's thread.
struct push_commit {
  event_ptr event;
  std::vector<std::int64_t> present;
};

inline bool operator==(const push_commit& x, const push_commit& y) {
  auto same = x.event == y.event
              || (x.event && y.event && x.event->data() == y.event->data());
  return same && x.present == y.present;
}

/// Serialized as the event's value (like event_batch).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, push_commit& x) {
  room_event value;
  if constexpr (Inspector::reads_state) {
    if (x.event)
      value = x.event->data();
  }
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.event = make_event(std::move(value));
    return caf::none;
  });
  return f(caf::meta::type_name("push_commit"), value, x.present, load);
}

/// One notification for one device token: what the provider is asked.
struct push_request {
  std::string token;
  std::string room_id;
  std::string room_name;
  std::uint64_t seq = 0;
  std::int64_t sender_id = 0;
  std::string sender;
  std::string text;
  /// The data payload's `type`: what the app does with it.
  std::string type = "message";
};

inline bool operator==(const push_request& x, const push_request& y) {
  return x.token == y.token && x.room_id == y.room_id
         && x.room_name == y.room_name && x.seq == y.seq
         && x.sender_id == y.sender_id && x.sender == y.sender
         && x.text == y.text && x.type == y.type;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, push_request& x) {
  return f(caf::meta::type_name("push_request"), x.token, x.room_id,
           x.room_name, x.seq, x.sender_id, x.sender, x.text, x.type);
}

/// How one request to the provider ended. Values are counted by name in
/// the metrics: never renumber.
enum class push_result : std::uint8_t {
  ok = 0,
  /// 429 or 5xx (or the network): try again later.
  retry = 1,
  /// The provider no longer knows the token: remove it.
  token_gone = 2,
  /// Our credentials were refused (after one refresh of the OAuth token).
  auth = 3,
  /// Anything else: a bad request, a timeout we do not retry.
  failed = 4,
};

/// The outcome of one request.
struct push_outcome {
  push_result result = push_result::failed;
  /// What the provider asked us to wait (Retry-After), ms; -1: nothing.
  std::int64_t retry_after_ms = -1;
  /// For the log: status and the provider's error, short.
  std::string detail;
};

inline bool operator==(const push_outcome& x, const push_outcome& y) {
  return x.result == y.result && x.retry_after_ms == y.retry_after_ms
         && x.detail == y.detail;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, push_outcome& x) {
  return f(caf::meta::type_name("push_outcome"), x.result, x.retry_after_ms,
           x.detail);
}

} // namespace h2h

// clang-format off
CAF_ADD_ATOM(h2h, h2h, push_atom, "push")
CAF_ADD_ATOM(h2h, h2h, pflush_atom, "pflush")
CAF_ADD_ATOM(h2h, h2h, pdevices_atom, "pdevices")
CAF_ADD_ATOM(h2h, h2h, pdone_atom, "pdone")
CAF_ADD_ATOM(h2h, h2h, pretry_atom, "pretry")
CAF_ADD_ATOM(h2h, h2h, proster_atom, "proster")
CAF_ADD_ATOM(h2h, h2h, pforget_atom, "pforget")

// The push types: a block of their own after h2h's.
CAF_BEGIN_TYPE_ID_BLOCK(h2h_push, caf::id_block::h2h::end)

CAF_ADD_TYPE_ID(h2h_push, (h2h::push_notice))
CAF_ADD_TYPE_ID(h2h_push, (h2h::push_request))
CAF_ADD_TYPE_ID(h2h_push, (h2h::push_result))
CAF_ADD_TYPE_ID(h2h_push, (h2h::push_outcome))
CAF_ADD_TYPE_ID(h2h_push, (h2h::push_commit))

CAF_END_TYPE_ID_BLOCK(h2h_push)
// clang-format on
