// The session actor: one per client connection, the only user of its link.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/client_link.hpp"
#include "actors/interfaces.hpp"
#include "actors/metrics.hpp"

namespace h2h {

/// Who is on the other end of a connection.
struct session_identity {
  /// True when a token proved the identity; frames may then not name others.
  bool authenticated = false;
  std::int64_t member_id = 0;
  std::string name;
};

/// A token bucket: `rate` tokens per second, at most `burst` saved up.
struct token_bucket {
  double rate = 20;
  double burst = 40;
  double tokens = 40;
  caf::actor_clock::time_point last{};

  /// Takes one token if there is one.
  bool take(caf::actor_clock::time_point now);
};

/// Settings every session shares.
struct session_env {
  /// Longest wait for a room or the directory to answer.
  std::chrono::milliseconds request_timeout{10000};
  /// Longest wait for a publish to be committed (the store may be down).
  std::chrono::milliseconds publish_timeout{60000};
  /// Never null.
  std::shared_ptr<node_metrics> metrics = std::make_shared<node_metrics>();
  /// Messages per second and burst a connection may send.
  double message_rate = 20;
  double message_burst = 40;
};

struct session_state {
  client_link_ptr link;
  directory_actor directory;
  session_identity identity;
  session_env env;
  /// Rooms this connection entered.
  std::unordered_map<std::string, room_actor> rooms;
  token_bucket sends;
  /// An ENTER is in flight; frames that arrive meanwhile wait in `backlog`.
  bool entering = false;
  std::vector<client_command> backlog;

  static inline const char* name = "h2h.session";
};

using session_pointer = session_actor::stateful_pointer<session_state>;

/// Spawnable behaviour of a session.
session_actor::behavior_type session(session_pointer self, client_link_ptr link,
                                     directory_actor directory,
                                     session_identity identity,
                                     session_env env);

} // namespace h2h
