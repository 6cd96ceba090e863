// The figures of a failover run: the check against history, JSON and text.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <unordered_map>

#include "failover_tally.hpp"

namespace h2h::bench {

namespace {

using nlohmann::json;

double seconds(std::int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

json or_null(const std::optional<double>& v) {
  return v ? json(std::round(*v * 1000.0) / 1000.0) : json(nullptr);
}

json to_json(const spread& s) {
  return {{"first", or_null(s.first)},
          {"p50", or_null(s.p50)},
          {"p99", or_null(s.p99)},
          {"max", or_null(s.max)},
          {"clients", s.count}};
}

std::string fmt(std::optional<double> v, int decimals = 3) {
  if (!v)
    return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, *v);
  return buf;
}

std::string fmt(const spread& s) {
  return fmt(s.first) + " / " + fmt(s.p50) + " / " + fmt(s.p99) + " / "
         + fmt(s.max) + " s (" + std::to_string(s.count) + " clients)";
}

} // namespace

void failover_tally::fill(
  failover_report& r, const std::vector<std::optional<history_room>>& history,
  std::string_view run_tag) const {
  auto kill = kill_ns_;
  std::vector<double> lost, reopened, entered, caught;
  // The committed seqs of each room, sorted, once.
  std::vector<std::vector<std::uint64_t>> committed(rooms_);
  r.history_checked = history.size() == rooms_
                      && std::all_of(history.begin(), history.end(),
                                     [](auto& h) { return h.has_value(); });
  std::unordered_map<std::string, std::pair<int, std::uint64_t>> stored;
  for (std::size_t room = 0; room < rooms_ && r.history_checked; ++room) {
    auto& h = *history[room];
    auto& c = committed[room];
    c = h.seqs;
    std::sort(c.begin(), c.end());
    auto end = std::unique(c.begin(), c.end());
    r.history_seq_repeats += static_cast<std::uint64_t>(c.end() - end);
    c.erase(end, c.end());
    if (room < r.rooms.size())
      r.rooms[room].history_events = h.seqs.size();
    for (std::size_t i = 0; i < h.client_msg_ids.size(); ++i) {
      auto& id = h.client_msg_ids[i];
      if (id.size() <= run_tag.size()
          || id.compare(id.size() - run_tag.size(), run_tag.size(), run_tag)
               != 0)
        continue;
      auto& e = stored[id];
      ++e.first;
      e.second = h.seqs[i];
    }
  }
  for (std::size_t j = 0; j < clients_.size(); ++j) {
    auto& c = clients_[j];
    r.duplicates += c.duplicates;
    r.out_of_order += c.out_of_order;
    std::uint64_t gaps = 0;
    if (r.history_checked && !c.seqs.empty() && !c.truncated) {
      auto& all = committed[room_of(j)];
      auto lo = std::lower_bound(all.begin(), all.end(), c.seqs.front());
      auto hi = std::upper_bound(all.begin(), all.end(), c.seqs.back());
      for (auto it = lo; it != hi; ++it)
        if (!std::binary_search(c.seqs.begin(), c.seqs.end(), *it))
          ++gaps;
      if (!is_publisher(j) && !c.gave_up) {
        auto room = room_of(j);
        auto close = room < latest_at_close_.size() ? latest_at_close_[room]
                                                    : room_latest_[room];
        r.behind_at_end += static_cast<std::uint64_t>(
          std::upper_bound(hi, all.end(), close) - hi);
      }
    }
    r.gaps += gaps;
    r.clients_with_gaps += gaps > 0 ? 1 : 0;
    if (is_publisher(j))
      continue;
    r.received += c.seqs.size();
    r.attempts += c.attempts;
    r.open_failures += c.open_failures;
    r.enter_refusals += c.enter_refusals;
    r.enter_timeouts += c.enter_timeouts;
    r.clients_timed_out += c.enter_timeouts > 0 ? 1 : 0;
    r.gave_up += c.gave_up ? 1 : 0;
    if (kill < 0 || c.lost_ns < 0)
      continue;
    ++r.lost_connection;
    lost.push_back(seconds(c.lost_ns - kill));
    if (c.reopened_ns >= 0)
      reopened.push_back(seconds(c.reopened_ns - kill));
    if (c.entered_ns >= 0) {
      ++r.back;
      entered.push_back(seconds(c.entered_ns - kill));
    }
    // Caught up: at the room's latest of its re-ENTER, with no gap.
    if (c.caught_up_ns >= 0 && gaps == 0) {
      ++r.caught_up;
      caught.push_back(seconds(c.caught_up_ns - kill));
    }
  }
  r.lost_s = spread_of(std::move(lost));
  r.reconnected_s = spread_of(std::move(reopened));
  r.entered_s = spread_of(std::move(entered));
  r.caught_up_s = spread_of(std::move(caught));
  for (std::size_t k = 0; k < pubs_.size(); ++k) {
    auto& p = pubs_[k];
    r.sent += p.sent;
    r.acked += p.acked.size();
    r.refused += p.refused;
    r.refused_after_kill += p.refused_after_kill;
    r.resent += p.resent;
    r.unacked += p.pending.size();
    if (!r.history_checked)
      continue;
    for (auto& [seq, room_seq] : p.acked) {
      auto id = std::to_string(k) + "-" + std::to_string(seq) + "-"
                + std::string{run_tag};
      auto it = stored.find(id);
      if (it == stored.end())
        ++r.acked_not_stored;
      else if (it->second.second != room_seq)
        ++r.ack_seq_mismatch;
    }
  }
  for (auto& [id, e] : stored)
    r.stored_twice += e.first > 1 ? 1 : 0;
  r.skipped = skipped_;
  r.publisher_losses = publisher_losses_;
  r.first_error = first_error_;
  if (kill >= 0) {
    if (first_refusal_ns_ >= 0)
      r.first_refusal_s = seconds(first_refusal_ns_ - kill);
    if (last_refusal_ns_ >= 0)
      r.last_refusal_s = seconds(last_refusal_ns_ - kill);
    for (std::size_t room = 0; room < rooms_ && room < r.rooms.size(); ++room)
      if (room_serving_ns_[room] >= 0)
        r.rooms[room].serving_s = seconds(room_serving_ns_[room] - kill);
    // The longest time without any ACK that ends after the kill.
    auto t = ack_times_ns_;
    std::sort(t.begin(), t.end());
    std::int64_t worst = 0;
    for (std::size_t i = 1; i < t.size(); ++i)
      if (t[i] > kill && t[i - 1] >= kill - 1'000'000'000)
        worst = std::max(worst, t[i] - t[i - 1]);
    if (!t.empty())
      r.ack_stall_ms = static_cast<double>(worst) / 1e6;
  }
}

nlohmann::json to_json(const failover_report& r) {
  json rooms = json::array();
  for (auto& room : r.rooms)
    rooms.push_back({{"id", room.id},
                     {"owner_before", room.owner_before},
                     {"owner_after", room.owner_after},
                     {"serving_s", or_null(room.serving_s)},
                     {"history_events", room.history_events}});
  json cpu = json::array();
  for (auto& [pid, s] : r.server_cpu_s)
    cpu.push_back({{"pid", pid}, {"cpu_s", or_null(s)}});
  return {
    {"command", "failover"},
    {"completed", r.completed},
    {"failure", r.failure},
    {"receivers", r.receivers},
    {"publishers", r.publishers},
    {"survivors", r.survivors},
    {"rate", r.rate},
    {"warmup_s", r.warmup_s},
    {"after_s", r.after_s},
    {"connect_s", or_null(r.connect_s)},
    {"rooms", rooms},
    {"receivers_lost_connection", r.lost_connection},
    {"receivers_back", r.back},
    {"receivers_caught_up", r.caught_up},
    {"receivers_gave_up", r.gave_up},
    {"reconnect_attempts", r.attempts},
    {"open_failures", r.open_failures},
    {"enter_refusals", r.enter_refusals},
    {"enter_timeouts", r.enter_timeouts},
    {"clients_with_enter_timeouts", r.clients_timed_out},
    {"lost_s", to_json(r.lost_s)},
    {"reconnected_s", to_json(r.reconnected_s)},
    {"entered_s", to_json(r.entered_s)},
    {"caught_up_s", to_json(r.caught_up_s)},
    {"received", r.received},
    {"duplicates", r.duplicates},
    {"out_of_order", r.out_of_order},
    {"gaps", r.gaps},
    {"clients_with_gaps", r.clients_with_gaps},
    {"behind_at_end", r.behind_at_end},
    {"history_checked", r.history_checked},
    {"history_seq_repeats", r.history_seq_repeats},
    {"acked_not_stored", r.acked_not_stored},
    {"stored_twice", r.stored_twice},
    {"ack_seq_mismatch", r.ack_seq_mismatch},
    {"sent", r.sent},
    {"acked", r.acked},
    {"refused", r.refused},
    {"refused_after_kill", r.refused_after_kill},
    {"resent", r.resent},
    {"unacked", r.unacked},
    {"skipped", r.skipped},
    {"publisher_losses", r.publisher_losses},
    {"first_refusal_s", or_null(r.first_refusal_s)},
    {"last_refusal_s", or_null(r.last_refusal_s)},
    {"ack_stall_ms", or_null(r.ack_stall_ms)},
    {"first_error", r.first_error},
    {"stragglers", r.stragglers},
    {"server_cpu_s", cpu},
    {"window_s", or_null(r.window_s)},
    {"generator_cpu_s", or_null(r.generator_cpu_s)},
  };
}

std::string summary_line(const failover_report& r) {
  std::ostringstream os;
  os << "failover: " << (r.completed ? "completed" : "INCOMPLETE") << " back "
     << r.back << "/" << r.lost_connection << " entered p50/p99/max "
     << fmt(r.entered_s.p50) << "/" << fmt(r.entered_s.p99) << "/"
     << fmt(r.entered_s.max) << " s caught up " << r.caught_up
     << " p50/p99/max " << fmt(r.caught_up_s.p50) << "/"
     << fmt(r.caught_up_s.p99) << "/" << fmt(r.caught_up_s.max) << " s gaps "
     << r.gaps << " duplicates " << r.duplicates << " enter_timeouts "
     << r.enter_timeouts << " refused " << r.refused_after_kill << " unacked "
     << r.unacked << " stall " << fmt(r.ack_stall_ms, 0) << " ms";
  return os.str();
}

std::string to_text(const failover_report& r) {
  std::ostringstream os;
  os << summary_line(r) << "\n";
  if (!r.completed)
    os << "  incomplete: " << r.failure << "\n";
  os << "  " << r.receivers << " receivers on the victim, " << r.publishers
     << " publishers on " << r.survivors << " survivor(s) at " << r.rate
     << " msg/s; set-up " << fmt(r.connect_s) << " s\n";
  for (auto& room : r.rooms)
    os << "  room " << room.id << ": owner " << room.owner_before << " -> "
       << room.owner_after << ", serving again after " << fmt(room.serving_s)
       << " s, " << room.history_events << " events in history\n";
  os << "  from the kill (first / p50 / p99 / max):\n"
     << "    connection lost  " << fmt(r.lost_s) << "\n"
     << "    reconnected      " << fmt(r.reconnected_s) << "\n"
     << "    entered          " << fmt(r.entered_s) << "\n"
     << "    caught up        " << fmt(r.caught_up_s) << "\n"
     << "  attempts " << r.attempts << ", failed opens " << r.open_failures
     << ", ENTER refusals " << r.enter_refusals << ", ENTER timeouts "
     << r.enter_timeouts << " (" << r.clients_timed_out << " clients)"
     << ", gave up " << r.gave_up << "\n"
     << "  received " << r.received << ", gaps " << r.gaps << " (in "
     << r.clients_with_gaps << " clients), duplicates " << r.duplicates
     << ", out of order " << r.out_of_order << ", behind at end "
     << r.behind_at_end << (r.history_checked ? "" : " (history NOT read)")
     << "\n"
     << "  history: seqs repeated " << r.history_seq_repeats
     << ", acknowledged but not stored " << r.acked_not_stored
     << ", stored twice " << r.stored_twice << ", ACK seq differs "
     << r.ack_seq_mismatch << "\n"
     << "  publishers: sent " << r.sent << ", acknowledged " << r.acked
     << ", refused " << r.refused << " (" << r.refused_after_kill
     << " after the kill, " << fmt(r.first_refusal_s) << " .. "
     << fmt(r.last_refusal_s) << " s), resent " << r.resent
     << ", never acknowledged " << r.unacked << ", skipped " << r.skipped
     << ", longest ACK stall " << fmt(r.ack_stall_ms, 1) << " ms\n";
  if (!r.first_error.empty())
    os << "  first refusal: " << r.first_error << "\n";
  for (auto& s : r.stragglers)
    os << "  not caught up: " << s << "\n";
  for (auto& [pid, s] : r.server_cpu_s)
    os << "  pid " << pid << ": " << fmt(s) << " CPU-s from the kill\n";
  os << "  generator: " << fmt(r.generator_cpu_s) << " CPU-s in "
     << fmt(r.window_s) << " s\n";
  return os.str();
}

} // namespace h2h::bench
