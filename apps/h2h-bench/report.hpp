// The figures of a bench run and their JSON and human-readable forms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats.hpp"

namespace h2h::bench {

/// Share of one core above which the generator may be the bottleneck
/// (PERFORMANCE.md asks to flag such runs).
inline constexpr double generator_cpu_warn_share = 0.9;

/// One watched server process (--server-pid) over the measured window.
struct server_figures {
  int pid = 0;
  std::optional<double> cpu_s;
  std::optional<std::uint64_t> rss_kb; ///< at the end of the window
};

/// Server and generator CPU over the measured window.
struct cpu_figures {
  /// Summed over `servers`; null when any of them could not be read.
  std::optional<double> server_cpu_s;
  std::optional<std::uint64_t> server_rss_kb; ///< at the end of the window
  std::vector<server_figures> servers;
  double generator_cpu_s = 0;
  double window_s = 0;
};

/// Everything `fanout` reports.
struct fanout_report {
  std::string proto;
  std::size_t conns = 0, rooms = 0, publishers = 0, size = 0;
  double rate_requested = 0, warmup_s = 0, duration_s = 0;
  bool completed = false;
  std::string failure;  ///< why the run is incomplete; empty when completed
  double connect_s = 0; ///< until every connection had entered its room
  std::size_t connected = 0;
  std::uint64_t connect_failures = 0, disconnects = 0;
  std::uint64_t publishes = 0;           ///< sent inside the window
  std::uint64_t publishes_total = 0;     ///< warm-up included
  std::uint64_t expected_deliveries = 0; ///< of window messages
  delivery_totals deliveries;
  std::uint64_t lost = 0;
  std::uint64_t send_skipped = 0; ///< paced sends dropped: local backlog full
  std::uint64_t acks = 0;
  std::uint64_t server_errors = 0; ///< h2h ERROR frames
  std::string first_server_error;
  std::uint64_t unexpected_frames = 0; ///< unparsable or of another room
  double drain_s = 0;
  latency_summary latency;
  latency_summary ack_latency;
  /// Per message received by every member of its room: until its first
  /// member had it (the server's path), and from the first to the last
  /// (the write burst and the receivers' reading).
  latency_summary first_latency;
  latency_summary spread;
  std::uint64_t spread_untimed = 0; ///< measured messages left out of both
  cpu_figures cpu;
};

/// Everything `idle` reports.
struct idle_report {
  std::string proto;
  std::size_t conns = 0;
  std::size_t opened = 0; ///< connections that entered their room
  bool completed = false;
  std::string failure;
  std::uint64_t connect_failures = 0, disconnects = 0;
  double connect_s = 0;
  double hold_s = 0;
  std::size_t sources = 0;
  std::optional<std::uint64_t> server_rss_before_kb, server_rss_after_kb,
    server_rss_end_kb;
  double generator_cpu_s = 0;
  /// CPU spent while the connections opened and entered (start until the
  /// last one was in): the set-up cost, apart from holding and closing.
  double open_generator_cpu_s = 0;
  std::optional<double> open_server_cpu_s;
};

/// Derived figures: rates, per-CPU-second, the generator's share of a core.
std::optional<double> per_second(std::uint64_t count, double seconds);
std::optional<double> generator_share(const cpu_figures& c);

/// Sets server_cpu_s and server_rss_kb to the sums over c.servers; each is
/// null when c.servers is empty or any server's figure is missing, so that a
/// process that could not be read never makes the total look cheaper.
void sum_servers(cpu_figures& c);
/// RSS growth per opened connection, read right after the last one opened
/// (presence notices may still be on their way).
std::optional<double> rss_per_conn_kb(const idle_report& r);
/// The same read after holding them (hold_s): what idle connections cost
/// once the opening burst is over.
std::optional<double> rss_per_idle_conn_kb(const idle_report& r);

/// One JSON object with every figure under snake_case keys (absent figures
/// are null, never missing, so scripts see a stable schema).
nlohmann::json to_json(const fanout_report& r);
nlohmann::json to_json(const idle_report& r);

/// The same figures for a human.
std::string to_text(const fanout_report& r);
std::string to_text(const idle_report& r);

} // namespace h2h::bench
