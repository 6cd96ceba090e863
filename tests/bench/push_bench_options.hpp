// Options of h2h-push-bench (tests/bench/push_bench.cpp): one run against
// one h2hd, push on (fast or slow fake provider) or off.
#pragma once

#include <string>
#include <vector>

namespace h2h::test {

struct push_bench_options {
  std::string h2hd;  ///< the server binary (required)
  std::string bench; ///< h2h-bench, for the chat phase (empty: no chat phase)
  bool push = true;  ///< false: h2hd runs without push credentials
  int provider_delay_ms = 0;
  /// Members of the push room, each with one device and no session in it.
  int members = 1000;
  int coalesce_ms = 100;
  /// Messages/s the room's one live publisher sends in the push phase, and
  /// during the chat phase.
  double push_rate = 20;
  double chat_push_rate = 1;
  double push_warmup_s = 2;
  double push_duration_s = 8;
  /// The chat phase: h2h-bench fanout, receivers signed in as the push
  /// room's members (present in the fanout rooms, absent from the push room).
  int conns = 1000;
  int rooms = 10;
  int publishers = 10;
  double rate = 200;
  double chat_warmup_s = 2;
  double chat_duration_s = 10;
  /// Extra h2hd arguments (after --).
  std::vector<std::string> server_args;
  bool help = false;
};

/// Parses argv[1..]; throws std::invalid_argument naming every bad option.
push_bench_options parse_push_bench(const std::vector<std::string>& args);

/// The usage text.
std::string push_bench_usage();

} // namespace h2h::test
