// The fault-injection suite's common part: the load with faults at set
// moments, and the figures each scenario is judged by.
#include "fault_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <thread>

namespace h2h::test {

using namespace std::chrono_literals;

namespace {

/// The load, with the fallback node read at each tick.
template <class Fallback>
load_clock::time_point
run_load(load_clients& cs, std::chrono::milliseconds span, Fallback fallback,
         std::vector<fault_event> events, std::chrono::milliseconds settle) {
  std::sort(events.begin(), events.end(),
            [](auto& a, auto& b) { return a.at < b.at; });
  auto start = load_clock::now();
  std::size_t next = 0;
  while (load_clock::now() - start < span) {
    while (next < events.size() && load_clock::now() - start >= events[next].at)
      events[next++].act();
    for (auto& c : cs) {
      c->tick(fallback());
      c->drain(2ms, fallback());
    }
    std::this_thread::sleep_for(20ms); // the load's pace: one message a tick
  }
  while (next < events.size()) // a span shorter than its events: run them
    events[next++].act();
  auto end = load_clock::now();
  for (auto& c : cs)
    c->stop_sending();
  auto deadline = load_clock::now() + settle;
  while (load_clock::now() < deadline) {
    bool all = true;
    for (auto& c : cs) {
      c->tick(fallback());
      c->drain(20ms, fallback());
      all = all && c->settled();
    }
    if (all)
      break;
  }
  for (auto& c : cs)
    c->drain(300ms, fallback()); // the last broadcasts
  return end;
}

} // namespace

load_clock::time_point run_fault_load(load_clients& cs,
                                      std::chrono::milliseconds span,
                                      const std::uint16_t* fallback,
                                      std::vector<fault_event> events,
                                      std::chrono::milliseconds settle) {
  return run_load(
    cs, span, [fallback] { return load_node{*fallback}; }, std::move(events),
    settle);
}

load_clock::time_point run_fault_load(load_clients& cs,
                                      std::chrono::milliseconds span,
                                      const load_node* fallback,
                                      std::vector<fault_event> events,
                                      std::chrono::milliseconds settle) {
  return run_load(
    cs, span, [fallback] { return *fallback; }, std::move(events), settle);
}

void add_client(load_clients& cs, const std::string& name,
                const std::string& room, const load_node& node,
                load_protocol protocol) {
  cs.push_back(std::make_unique<load_client>(name, room, node, protocol));
  // One ENTER at a time: a client that saw another's ENTER notice before
  // its own would not know where it began.
  for (int i = 0; i < 50 && cs.back()->seen().empty(); ++i)
    cs.back()->drain(100ms, node);
  EXPECT_FALSE(cs.back()->seen().empty()) << name << " did not get in";
}

namespace {

void problem(fault_figures& f, const std::string& what) {
  if (f.problems.size() < 10)
    f.problems.push_back(what);
}

/// The worst time, over clients, from `t` to a client's first ACK at or
/// after it; -1 when a client had none.
long recovery_from(const load_clients& cs, load_clock::time_point t) {
  long worst = 0;
  for (auto& c : cs) {
    auto& times = c->ack_times();
    auto i = std::find_if(times.begin(), times.end(),
                          [&](auto a) { return a >= t; });
    if (i == times.end())
      return -1;
    worst = std::max<long>(
      worst,
      std::chrono::duration_cast<std::chrono::milliseconds>(*i - t).count());
  }
  return worst;
}

/// One client's deliveries against history.
void tally_client(const load_client& c,
                  const std::map<std::uint64_t, nlohmann::json>& hist,
                  const std::map<std::string, std::uint64_t>& stored,
                  fault_figures& f) {
  f.sent += c.sent().size();
  f.acked += c.acked().size();
  (c.protocol() == load_protocol::stomp ? f.stomp_acked : f.raw_acked)
    += c.acked().size();
  f.reconnects += static_cast<std::size_t>(c.reconnects());
  f.refusals += c.errors().size();
  if (!c.errors().empty())
    problem(f, c.name() + " refused: " + c.errors().front());
  for (auto& [id, seq] : c.acked()) {
    auto i = stored.find(id);
    if (i == stored.end()) {
      ++f.lost;
      problem(f, c.name() + ": " + id + " acknowledged, not in history");
      continue;
    }
    // A STOMP RECEIPT has no seq: the client's own echo has it.
    auto e = c.echoed().find(id);
    auto known = seq != 0 ? seq : e != c.echoed().end() ? e->second : 0;
    if (known != 0 && known != i->second) {
      ++f.seq_reused;
      problem(f, c.name() + ": " + id + " acknowledged as seq "
                   + std::to_string(known) + ", stored as "
                   + std::to_string(i->second));
    }
  }
  std::uint64_t top = 0;
  for (auto seq : c.seen()) {
    if (seq <= top) {
      ++f.dup_after_lastseq;
      problem(f, c.name() + ": seq " + std::to_string(seq) + " after "
                   + std::to_string(top));
    }
    top = std::max(top, seq);
  }
  std::set<std::uint64_t> got(c.seen().begin(), c.seen().end());
  for (auto& [seq, e] : hist)
    if (seq > c.start_seq() && seq <= top && got.count(seq) == 0) {
      ++f.lost;
      problem(f,
              c.name() + ": gap, seq " + std::to_string(seq) + " never came");
    }
  for (auto& [seq, text] : c.seen_text()) {
    auto h = hist.find(seq);
    if (h == hist.end()) {
      if (text.rfind("m ", 0) == 0) { // delivered, never stored
        ++f.lost;
        problem(f, c.name() + ": got seq " + std::to_string(seq) + " (" + text
                     + "), not in history");
      }
      continue;
    }
    if (h->second.value("message", "") != text) {
      ++f.seq_reused;
      problem(f, c.name() + ": seq " + std::to_string(seq) + " was " + text
                   + ", history has "
                   + h->second.value("message", std::string{}));
    }
  }
}

} // namespace

fault_figures
tally_faults(const load_clients& cs,
             const std::map<std::uint64_t, nlohmann::json>& hist,
             load_clock::time_point first_fault,
             const std::vector<load_clock::time_point>& faults_end,
             load_clock::time_point load_end) {
  fault_figures f;
  // clientMsgId -> seq as stored (a STOMP message's text names it too).
  std::map<std::string, std::uint64_t> stored;
  for (auto& [seq, e] : hist) {
    auto text = e.value("message", "");
    auto id = e.value("clientMsgId", "");
    if (id.empty() && text.rfind("m ", 0) == 0)
      id = text.substr(2);
    if (id.empty())
      continue;
    if (!stored.emplace(id, seq).second) {
      ++f.dup_after_lastseq; // stored twice: delivered twice
      problem(f, id + " stored twice (seq " + std::to_string(seq) + ")");
    }
  }
  f.in_history = stored.size();
  for (auto& c : cs)
    tally_client(*c, hist, stored, f);
  f.unacked = f.sent - f.acked;
  f.longest_stall_ms = longest_stall_ms(cs, first_fault, load_end);
  for (auto t : faults_end) {
    auto r = recovery_from(cs, t);
    f.recover_ms = r < 0 || f.recover_ms < 0 ? -1 : std::max(f.recover_ms, r);
  }
  return f;
}

void report_and_check(const std::string& name, const fault_figures& f) {
  std::printf("FAULT %s: sent=%zu acked=%zu in_history=%zu lost=%zu "
              "dup_after_lastseq=%zu seq_reused=%zu longest_stall_ms=%ld "
              "recover_ms=%ld\n",
              name.c_str(), f.sent, f.acked, f.in_history, f.lost,
              f.dup_after_lastseq, f.seq_reused, f.longest_stall_ms,
              f.recover_ms);
  std::printf("  details: acked raw=%zu stomp=%zu reconnects=%zu "
              "refusals_retried=%zu\n",
              f.raw_acked, f.stomp_acked, f.reconnects, f.refusals);
  std::fflush(stdout);
  std::ostringstream why;
  for (auto& p : f.problems)
    why << "\n  " << p;
  EXPECT_EQ(f.lost, 0u) << why.str();
  EXPECT_EQ(f.dup_after_lastseq, 0u) << why.str();
  EXPECT_EQ(f.seq_reused, 0u) << why.str();
  EXPECT_EQ(f.unacked, 0u) << "messages never acknowledged";
  EXPECT_GT(f.acked, 0u);
  EXPECT_GE(f.recover_ms, 0) << "a client was never served again";
}

} // namespace h2h::test
