// The fault-injection suite's common part: a steady load of load_clients
// with faults injected at set moments, and the one line of figures each
// scenario prints and is judged by (docs/faults.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "load_client.hpp"

namespace h2h::test {

/// What a scenario is judged by. lost: acknowledged messages not in
/// history, plus committed events a client never received between its
/// first event and its last (a gap). dup_after_lastseq: events a client
/// received twice or out of order (a reconnect with lastSeq repeated
/// something). seq_reused: a seq that stands for two different events (an
/// ACK, an echo or a delivery disagreeing with history). longest_stall_ms:
/// the longest time without any ACK from the first fault on. recover_ms:
/// from the end of a fault until every client had an ACK again (the worst
/// of the scenario's faults; -1 when some client never had one).
struct fault_figures {
  std::size_t sent = 0, acked = 0, in_history = 0;
  std::size_t lost = 0, dup_after_lastseq = 0, seq_reused = 0;
  std::size_t unacked = 0;
  /// A second line's details: acknowledged per protocol, reconnects and
  /// refusals (ERROR frames) over all clients.
  std::size_t raw_acked = 0, stomp_acked = 0, reconnects = 0, refusals = 0;
  long longest_stall_ms = 0, recover_ms = 0;
  /// The first few problems, for the failure message.
  std::vector<std::string> problems;
};

/// A moment of the load at which `act` runs (on the load's own thread:
/// keep it short, or hand long work to a thread of the scenario's).
struct fault_event {
  std::chrono::milliseconds at;
  std::function<void()> act;
};

using load_clients = std::vector<std::unique_ptr<load_client>>;

/// Runs the load for `span` (each client sends every 20 ms) with `events`
/// at their moments, then stops sending and waits (at most `settle`) for
/// every ACK; clients whose node is gone reconnect to `*fallback` (read at
/// each tick, so an event may change it). Returns when the load ended.
load_clock::time_point
run_fault_load(load_clients& cs, std::chrono::milliseconds span,
               const std::uint16_t* fallback, std::vector<fault_event> events,
               std::chrono::milliseconds settle = std::chrono::seconds{30});
/// The same with nodes that have addresses of their own.
load_clock::time_point
run_fault_load(load_clients& cs, std::chrono::milliseconds span,
               const load_node* fallback, std::vector<fault_event> events,
               std::chrono::milliseconds settle = std::chrono::seconds{30});

/// Adds one client and waits (bounded) until its own ENTER is through, so
/// that each client knows where it began.
void add_client(load_clients& cs, const std::string& name,
                const std::string& room, const load_node& node,
                load_protocol protocol = load_protocol::raw);

/// The figures of a run against the room's history; `faults_end` are the
/// moments each fault ended (recover_ms counts from them), the stall is
/// measured from `first_fault` to `load_end`.
fault_figures
tally_faults(const load_clients& cs,
             const std::map<std::uint64_t, nlohmann::json>& hist,
             load_clock::time_point first_fault,
             const std::vector<load_clock::time_point>& faults_end,
             load_clock::time_point load_end);

/// Prints `FAULT <name>: sent=… recover_ms=…` (one line, for the CI log
/// and docs/faults.md) and expects lost, dup_after_lastseq and seq_reused
/// to be 0 and every message acknowledged.
void report_and_check(const std::string& name, const fault_figures& f);

} // namespace h2h::test
