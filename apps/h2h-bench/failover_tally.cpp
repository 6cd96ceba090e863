// The accounting of a failover run: receivers' losses, reconnects and
// catch-up, publishers' refusals and ACKs, the check against history.
#include "failover_tally.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "payload.hpp"

namespace h2h::bench {

namespace {

/// Seqs kept per client for the gap check: far more than a run of minutes
/// at the default load (~20 events/s per room); past it the client is left
/// out of the gap check (and counted as truncated in its figures).
constexpr std::size_t max_seqs_per_client = 200'000;
/// ACK times kept to find the longest stall.
constexpr std::size_t max_ack_times = 1'000'000;
/// A refused message is sent again after this pause, at most this often.
constexpr std::int64_t resend_pause_ns = 200'000'000;
constexpr unsigned max_refusals = 50;

} // namespace

std::optional<std::uint64_t> find_uint_field(std::string_view json,
                                             std::string_view key) {
  std::size_t from = 0;
  while (from < json.size()) {
    auto at = json.find(key, from);
    if (at == json.npos)
      return std::nullopt;
    from = at + key.size();
    if (at == 0 || json[at - 1] != '"' || from + 1 >= json.size()
        || json[from] != '"' || json[from + 1] != ':')
      continue;
    auto pos = from + 2;
    while (pos < json.size() && json[pos] == ' ')
      ++pos;
    auto end = pos;
    while (end < json.size() && json[end] >= '0' && json[end] <= '9')
      ++end;
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(json.data() + pos, json.data() + end, v);
    if (ec != std::errc{} || ptr != json.data() + end || end == pos)
      return std::nullopt;
    return v;
  }
  return std::nullopt;
}

failover_frame read_failover_frame(std::string_view text) {
  failover_frame f;
  f.type = find_string_field(text, "type").value_or(std::string_view{});
  f.seq = find_uint_field(text, "seq");
  f.client_msg_id = find_string_field(text, "clientMsgId");
  f.message = find_string_field(text, "message");
  return f;
}

spread spread_of(std::vector<double> v) {
  spread s;
  s.count = v.size();
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    auto k
      = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::max<std::size_t>(k, 1) - 1];
  };
  s.first = v.front();
  s.p50 = rank(0.5);
  s.p99 = rank(0.99);
  s.max = v.back();
  return s;
}

failover_tally::failover_tally(std::size_t receivers, std::size_t rooms,
                               std::size_t publishers)
  : receivers_(receivers)
  , rooms_(rooms)
  , clients_(receivers + publishers)
  , pubs_(publishers)
  , room_latest_(rooms, 0)
  , room_serving_ns_(rooms, -1) {
}

std::size_t failover_tally::room_of(std::size_t conn) const {
  return (conn < receivers_ ? conn : conn - receivers_) % rooms_;
}

void failover_tally::on_event(std::size_t conn, std::uint64_t seq,
                              std::int64_t now_ns) {
  auto& c = clients_[conn];
  if (c.first_event_ns < 0)
    c.first_event_ns = now_ns;
  auto& s = c.seqs;
  if (s.empty() || seq > s.back()) {
    if (s.size() < max_seqs_per_client)
      s.push_back(seq);
    else
      c.truncated = true;
  } else {
    auto it = std::lower_bound(s.begin(), s.end(), seq);
    if (it != s.end() && *it == seq) {
      ++c.duplicates;
      return;
    }
    ++c.out_of_order;
    s.insert(it, seq);
  }
  auto room = room_of(conn);
  if (is_publisher(conn))
    room_latest_[room] = std::max(room_latest_[room], seq);
  if (c.enter_sent_ns >= 0 && c.entered_ns < 0 && seq > c.enter_last_seq)
    c.entered_ns = now_ns;
  if (c.entered_ns >= 0 && c.caught_up_ns < 0 && s.back() >= c.target)
    c.caught_up_ns = now_ns;
}

bool failover_tally::entered_initially(std::size_t conn) const {
  return clients_[conn].first_event_ns >= 0;
}

void failover_tally::on_lost(std::size_t conn, std::int64_t now_ns) {
  auto& c = clients_[conn];
  if (c.lost_ns < 0)
    c.lost_ns = now_ns;
}

void failover_tally::on_reopened(std::size_t conn, std::int64_t now_ns) {
  auto& c = clients_[conn];
  if (c.lost_ns >= 0 && c.reopened_ns < 0)
    c.reopened_ns = now_ns;
}

std::optional<std::uint64_t>
failover_tally::on_enter_sent(std::size_t conn, std::int64_t now_ns) {
  auto& c = clients_[conn];
  std::optional<std::uint64_t> last;
  if (!c.seqs.empty())
    last = c.seqs.back();
  if (c.lost_ns >= 0 && c.enter_sent_ns < 0) {
    // The target of the catch-up: the room's latest seq as the survivors'
    // members know it when this client asks to come back.
    c.enter_sent_ns = now_ns;
    c.enter_last_seq = last.value_or(0);
    c.target = std::max(room_latest_[room_of(conn)], c.enter_last_seq);
  }
  return last;
}

void failover_tally::on_attempt(std::size_t conn) {
  ++clients_[conn].attempts;
}

void failover_tally::on_open_failed(std::size_t conn) {
  ++clients_[conn].open_failures;
}

void failover_tally::on_enter_timeout(std::size_t conn) {
  ++clients_[conn].enter_timeouts;
}

void failover_tally::on_enter_refused(std::size_t conn) {
  ++clients_[conn].enter_refusals;
}

void failover_tally::on_gave_up(std::size_t conn) {
  clients_[conn].gave_up = true;
}

bool failover_tally::back(std::size_t conn) const {
  return clients_[conn].entered_ns >= 0;
}

bool failover_tally::caught_up(std::size_t conn) const {
  return clients_[conn].caught_up_ns >= 0;
}

std::string failover_tally::describe(std::size_t conn) const {
  auto& c = clients_[conn];
  auto since_kill = [&](std::int64_t t) {
    return t < 0 || kill_ns_ < 0
             ? std::string{"never"}
             : std::to_string((t - kill_ns_) / 1'000'000) + " ms";
  };
  return "connection " + std::to_string(conn) + " (room "
         + std::to_string(room_of(conn)) + "): lost " + since_kill(c.lost_ns)
         + ", reopened " + since_kill(c.reopened_ns) + ", ENTER lastSeq "
         + std::to_string(c.enter_last_seq) + " sent "
         + since_kill(c.enter_sent_ns) + " (target " + std::to_string(c.target)
         + "), in " + since_kill(c.entered_ns) + ", caught up "
         + since_kill(c.caught_up_ns) + ", highest seq "
         + (c.seqs.empty() ? std::string{"none"}
                           : std::to_string(c.seqs.back()))
         + ", attempts " + std::to_string(c.attempts) + ", ENTER refusals "
         + std::to_string(c.enter_refusals) + ", ENTER timeouts "
         + std::to_string(c.enter_timeouts);
}

bool failover_tally::gave_up(std::size_t conn) const {
  return clients_[conn].gave_up;
}

unsigned failover_tally::attempts(std::size_t conn) const {
  return clients_[conn].attempts;
}

std::optional<std::int64_t> failover_tally::lost_at(std::size_t conn) const {
  auto t = clients_[conn].lost_ns;
  return t < 0 ? std::nullopt : std::optional{t};
}

void failover_tally::on_publish(std::size_t k, std::uint64_t seq,
                                std::int64_t now_ns) {
  auto& p = pubs_[k];
  p.pending[seq] = {now_ns, -1, 0};
  ++p.sent;
}

void failover_tally::on_resend(std::size_t k, std::uint64_t seq) {
  auto& p = pubs_[k];
  if (auto it = p.pending.find(seq); it != p.pending.end()) {
    it->second.resend_at_ns = -1;
    ++p.resent;
  }
}

void failover_tally::on_ack(std::size_t k, std::uint64_t seq,
                            std::uint64_t room_seq, std::int64_t now_ns) {
  auto& p = pubs_[k];
  auto it = p.pending.find(seq);
  if (it == p.pending.end())
    return; // a repeated ACK of a resend
  auto sent = it->second.first_sent_ns;
  p.pending.erase(it);
  p.acked[seq] = room_seq;
  if (ack_times_ns_.size() < max_ack_times)
    ack_times_ns_.push_back(now_ns);
  auto room = k % rooms_;
  if (kill_ns_ >= 0 && sent >= kill_ns_ && room_serving_ns_[room] < 0)
    room_serving_ns_[room] = now_ns;
}

bool failover_tally::on_refused(std::size_t k, std::uint64_t seq,
                                std::int64_t now_ns, std::string_view text) {
  auto& p = pubs_[k];
  auto it = p.pending.find(seq);
  if (it == p.pending.end())
    return false;
  ++p.refused;
  if (first_error_.empty())
    first_error_ = std::string{text.substr(0, 300)};
  if (kill_ns_ >= 0 && now_ns >= kill_ns_) {
    ++p.refused_after_kill;
    if (first_refusal_ns_ < 0)
      first_refusal_ns_ = now_ns;
    last_refusal_ns_ = now_ns;
  }
  // Sent again with the same clientMsgId: the server deduplicates.
  if (++it->second.refusals < max_refusals)
    it->second.resend_at_ns = now_ns + resend_pause_ns;
  return true;
}

std::vector<std::uint64_t>
failover_tally::due_resends(std::size_t k, std::int64_t now_ns) const {
  std::vector<std::uint64_t> out;
  for (auto& [seq, m] : pubs_[k].pending)
    if (m.resend_at_ns >= 0 && m.resend_at_ns <= now_ns)
      out.push_back(seq);
  return out;
}

bool failover_tally::all_acked() const {
  return std::all_of(pubs_.begin(), pubs_.end(),
                     [](const publisher& p) { return p.pending.empty(); });
}

bool failover_tally::receivers_at_latest() const {
  for (std::size_t j = 0; j < receivers_; ++j) {
    auto& c = clients_[j];
    if (c.gave_up)
      continue;
    if (c.lost_ns >= 0 && c.entered_ns < 0)
      return false;
    if (c.seqs.empty() || c.seqs.back() < room_latest_[room_of(j)])
      return false;
  }
  return true;
}

} // namespace h2h::bench
