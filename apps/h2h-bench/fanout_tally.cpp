// The receive side of a fanout run: frames in, deliveries, ACKs and figures
// out.
#include "fanout_tally.hpp"

#include <algorithm>

#include "payload.hpp"

namespace h2h::bench {

namespace {

/// Messages kept per publisher to time ACKs and, per message, its first
/// and last member; older ones go untimed. With --rate 0 at most 32 are
/// outstanding; paced runs rarely lag 256 behind.
constexpr std::size_t ack_ring = 256;

} // namespace

fanout_tally::fanout_tally(protocol proto, fanout_layout layout)
  : proto_(proto)
  , layout_(layout)
  , ledger_(layout.conns, layout.max_publishers_per_room())
  , pubs_(layout.publishers) {
  for (auto& p : pubs_) {
    p.sent_ns.resize(ack_ring);
    p.spreading.resize(ack_ring);
  }
}

fanout_tally::effect fanout_tally::on_frame(std::size_t conn,
                                            std::string_view text,
                                            std::int64_t now_ns) {
  auto type = find_string_field(text, "type");
  if (!type) {
    ++unexpected_;
    return {};
  }
  if (proto_ == protocol::plain) {
    if (*type == "msg")
      return deliver(conn, find_string_field(text, "text"), now_ns);
    if (*type == "joined")
      return {true, std::nullopt};
    ++unexpected_;
    return {};
  }
  if (*type == "MESSAGE")
    return deliver(conn, find_string_field(text, "message"), now_ns);
  if (*type == "ACK")
    return ack(conn, find_string_field(text, "clientMsgId"), now_ns);
  if (*type == "ENTER") {
    // Rooms send only to members: any ENTER notice shows this connection
    // is in (with tokens the sender is a nickname, not c<conn>).
    return {true, std::nullopt};
  }
  if (*type == "ERROR")
    return refused(conn, text);
  if (*type != "EXIT")
    ++unexpected_;
  return {};
}

fanout_tally::effect fanout_tally::on_stomp_frame(std::size_t conn,
                                                  const stomp_frame_view& f,
                                                  std::int64_t now_ns) {
  if (f.command == "MESSAGE") {
    auto type = find_string_field(f.body, "type");
    if (type && (*type == "TALK" || *type == "MESSAGE"))
      return deliver(conn, find_string_field(f.body, "message"), now_ns);
    if (type && *type == "ENTER")
      return {true, std::nullopt}; // as with h2h: any ENTER shows it is in
    if (!type || *type != "EXIT")
      ++unexpected_;
    return {};
  }
  if (f.command == "RECEIPT") {
    auto id = f.header("receipt-id");
    if (id && *id == stomp_subscribe_receipt)
      return {true, std::nullopt};
    return ack(conn, id, now_ns);
  }
  if (f.command == "CONNECTED") {
    effect e;
    e.connected = true;
    return e;
  }
  if (f.command == "ERROR") {
    if (server_errors_++ == 0)
      first_server_error_ = std::string{f.header("message").value_or("")} + " "
                            + std::string{f.body};
    std::uint64_t seq = 0;
    auto pub = own_publisher(conn, f.header("receipt-id"), &seq);
    if (!pub)
      return {};
    ++refused_;
    return {false, pub};
  }
  ++unexpected_;
  return {};
}

void fanout_tally::on_publish(std::size_t pub, std::uint64_t seq,
                              std::int64_t send_ns) {
  auto& p = pubs_[pub];
  p.sent_ns[seq % ack_ring] = send_ns;
  ++p.published;
  if (send_ns >= window_start_ns_)
    ++p.published_measured;
  ++published_all_;
  expected_all_ += layout_.room_size(layout_.room_of(pub));
}

fanout_tally::effect fanout_tally::deliver(std::size_t conn,
                                           std::optional<std::string_view> text,
                                           std::int64_t now_ns) {
  auto pl = text ? decode_payload(*text) : std::nullopt;
  if (!pl || pl->publisher >= pubs_.size()
      || layout_.room_of(pl->publisher) != layout_.room_of(conn)) {
    ++unexpected_; // not ours, or delivered to the wrong room
    return {};
  }
  bool measured = pl->send_ns >= window_start_ns_;
  auto a
    = ledger_.record(conn, layout_.stream_of(pl->publisher), pl->seq, measured);
  if (a == arrival::duplicate)
    return {};
  if (measured) {
    latency_.record(now_ns - pl->send_ns);
    time_message(pl->publisher, pl->seq, pl->send_ns, now_ns);
  }
  // The plain peer has no ACK: a publisher's own echo ends its message.
  if (proto_ == protocol::plain && pl->publisher == conn)
    return {false, pl->publisher};
  return {};
}

void fanout_tally::time_message(std::size_t pub, std::uint64_t seq,
                                std::int64_t send_ns, std::int64_t now_ns) {
  auto& m = pubs_[pub].spreading[seq % ack_ring];
  if (m.seq != seq) {
    // A message 256 behind that some member still lacks: it goes untimed
    // here (a lost delivery shows in `lost`).
    if (m.seq != UINT64_MAX)
      ++spread_untimed_;
    m = in_flight{seq, now_ns, now_ns, 0};
  }
  m.first_ns = std::min(m.first_ns, now_ns);
  m.last_ns = std::max(m.last_ns, now_ns);
  if (++m.received < layout_.room_size(layout_.room_of(pub)))
    return;
  first_latency_.record(m.first_ns - send_ns);
  spread_.record(m.last_ns - m.first_ns);
  m = in_flight{};
}

std::optional<std::size_t>
fanout_tally::own_publisher(std::size_t conn,
                            std::optional<std::string_view> id,
                            std::uint64_t* seq) const {
  auto parsed = id ? parse_client_msg_id(*id) : std::nullopt;
  if (!parsed || parsed->publisher != conn || conn >= pubs_.size())
    return std::nullopt;
  *seq = parsed->seq;
  return parsed->publisher;
}

fanout_tally::effect fanout_tally::ack(std::size_t conn,
                                       std::optional<std::string_view> id,
                                       std::int64_t now_ns) {
  std::uint64_t seq = 0;
  auto pub = own_publisher(conn, id, &seq);
  if (!pub) {
    ++unexpected_;
    return {};
  }
  auto& p = pubs_[*pub];
  ++acks_;
  if (seq < p.published && p.published - seq <= ack_ring) {
    auto sent = p.sent_ns[seq % ack_ring];
    if (sent >= window_start_ns_)
      ack_latency_.record(now_ns - sent);
  }
  return {false, pub};
}

fanout_tally::effect fanout_tally::refused(std::size_t conn,
                                           std::string_view text) {
  if (server_errors_++ == 0)
    first_server_error_ = std::string{text};
  std::uint64_t seq = 0;
  auto pub = own_publisher(conn, find_string_field(text, "clientMsgId"), &seq);
  if (!pub)
    return {};
  ++refused_; // rate limit, room timeout: no ACK will follow
  return {false, pub};
}

bool fanout_tally::drained() const {
  if (ledger_.totals().distinct < expected_all_)
    return false;
  // The plain peer has no ACK; h2h's ACKs and STOMP's RECEIPTs count.
  return proto_ == protocol::plain || acks_ + refused_ >= published_all_;
}

void fanout_tally::fill(fanout_report& r) const {
  r.publishes = r.publishes_total = r.expected_deliveries = 0;
  for (std::size_t i = 0; i < pubs_.size(); ++i) {
    r.publishes += pubs_[i].published_measured;
    r.publishes_total += pubs_[i].published;
    r.expected_deliveries
      += pubs_[i].published_measured * layout_.room_size(layout_.room_of(i));
  }
  r.deliveries = ledger_.totals();
  r.lost
    = lost_deliveries(r.expected_deliveries, r.deliveries.distinct_measured);
  r.acks = acks_;
  r.server_errors = server_errors_;
  r.first_server_error = first_server_error_;
  r.unexpected_frames = unexpected_;
  r.latency = summarize_ns(latency_);
  r.ack_latency = summarize_ns(ack_latency_);
  r.first_latency = summarize_ns(first_latency_);
  r.spread = summarize_ns(spread_);
  r.spread_untimed = spread_untimed_;
}

} // namespace h2h::bench
