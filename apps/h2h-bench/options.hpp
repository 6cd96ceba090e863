// Command-line options of h2h-bench: one table per subcommand, parsing, usage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "endpoint.hpp"

namespace h2h::bench {

/// Hard limits that keep every run bounded in count and time.
inline constexpr std::size_t max_conns = 60000;
inline constexpr double max_duration_s = 3600;
inline constexpr double max_warmup_s = 600;
inline constexpr double max_rate = 1'000'000;
/// Smallest --size: the payload header (publisher, seq, send time) must fit.
inline constexpr std::size_t min_payload_size = 64;
/// Largest --size; h2h itself refuses more than limits.max_message_chars.
inline constexpr std::size_t max_payload_size = 60000;
/// Bounds conns x publishers-per-room, the size of the delivery ledger.
inline constexpr std::size_t max_ledger_streams = 4'000'000;
/// Servers one fanout run may spread its connections over (--url, --urls),
/// and server processes it may watch (--server-pid).
inline constexpr std::size_t max_servers = 64;
/// Longest --room-prefix; h2h's room ids are short.
inline constexpr std::size_t max_room_prefix = 40;

/// Which wire protocol the connections speak.
enum class protocol {
  h2h,   ///< docs/protocol.md: ENTER / MESSAGE / ACK
  plain, ///< the reference peer: join / joined / msg echoed verbatim
  stomp, ///< DESIGN.md §2.2 at /ws: CONNECT / SUBSCRIBE / SEND / RECEIPT
};

/// The name reports give a protocol: "h2h" (raw JSON), "plain", "stomp".
std::string_view protocol_name(protocol p);

/// Everything any subcommand may be given; each uses a subset.
struct bench_options {
  std::string command;
  ws_url url; ///< the first --url
  bool url_given = false;
  /// Every --url in order (--urls adds a comma-separated list); fanout's
  /// connection j goes to urls[j % urls.size()].
  std::vector<ws_url> urls;
  std::size_t conns = 0;
  std::size_t rooms = 0;
  std::size_t publishers = 0;
  double rate = -1; ///< total messages/s; 0 = as fast as the window allows
  double duration_s = 0;
  double warmup_s = 2;
  std::size_t size = 100;
  std::optional<int> server_pid; ///< the first --server-pid
  /// Every --server-pid in order; fanout sums their CPU and reports each.
  std::vector<int> server_pids;
  /// fanout's rooms are <room_prefix>0 .. <room_prefix>{rooms-1}.
  std::string room_prefix = "bench-";
  std::string token_file;
  protocol proto = protocol::h2h;
  bool json = false;
  bool allow_remote = false;
  std::vector<std::string> sources; ///< local IPv4 addresses to bind
  double hold_s = 2;
  bool help = false;
  // failover only (failover_options.cpp):
  std::optional<int> kill_pid; ///< SIGKILLed after the warm-up; must be h2hd
  double after_s = 10;         ///< publishing goes on this long after the kill
  std::size_t reconnect_attempts = 10; ///< per client, after its loss
  double reconnect_limit_s = 30;       ///< per client, from its loss
  double backoff_ms = 50; ///< wait before the 2nd attempt; doubles, <= 2 s
  /// A re-ENTER with no room event after this long: reconnect elsewhere.
  double enter_timeout_s = 2;
};

/// One option of a subcommand. `apply` stores the value and returns an error
/// text, or an empty string when the value is good.
struct option_spec {
  std::string_view name;  ///< "--conns"
  std::string_view value; ///< "N"; empty for a flag
  std::string_view help;
  bool required = false;
  std::string (*apply)(bench_options&, std::string_view value) = nullptr;
};

/// The outcome of parsing: options plus every problem found (not just the
/// first), so one run of the tool lists all of them.
struct parse_result {
  bench_options options;
  std::vector<std::string> errors;
};

/// Option tables of the subcommands.
const std::vector<option_spec>& fanout_option_specs();
const std::vector<option_spec>& idle_option_specs();
const std::vector<option_spec>& failover_option_specs();

/// Whole-string unsigned integer / finite decimal within [lo, hi] into
/// `out`; an error text, or empty when good (shared by the option tables).
std::string parse_size_in(std::string_view v, std::size_t lo, std::size_t hi,
                          std::size_t& out);
std::string parse_double_in(std::string_view v, double lo, double hi,
                            double& out);

/// Parses `args` (after the subcommand name) against `specs`. Accepts
/// `--name value` and `--name=value`. Does not check cross-option rules.
parse_result parse_options(std::string_view command,
                           const std::vector<option_spec>& specs,
                           const std::vector<std::string>& args);

/// Parse plus the fanout / idle cross-option rules (ranges, loopback).
parse_result parse_fanout(const std::vector<std::string>& args);
parse_result parse_idle(const std::vector<std::string>& args);
/// Parse plus the failover rules: a victim and at least one survivor URL,
/// --kill-pid, rooms within the receivers.
parse_result parse_failover(const std::vector<std::string>& args);

/// Usage text generated from the same table the parser reads.
std::string usage(std::string_view command, std::string_view summary,
                  const std::vector<option_spec>& specs);

} // namespace h2h::bench
