// A steady-load chat client for the real-cluster suites (raw /message or
// STOMP at /ws), and the checks every load scenario ends with: every
// acknowledged message is in history exactly once, every client saw a
// gap-free, duplicate-free sequence, and no seq maps to two messages.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/cluster/rendezvous.hpp"
#include "load_stomp.hpp"
#include "process.hpp"
#include "ws_client.hpp"

namespace h2h::test {

using load_clock = std::chrono::steady_clock;

/// Which protocol a load client speaks: raw JSON at /message, or STOMP 1.2
/// at /ws (trusted mode: CONNECT's login and the SEND body name the sender;
/// a SEND's RECEIPT is its acknowledgement, its seq comes with the echo).
enum class load_protocol { raw, stomp };

/// Where a node listens: a port on 127.0.0.1 (a port converts), or an
/// address of its own (a node in a network namespace).
struct load_node {
  load_node(std::uint16_t p) // NOLINT(google-explicit-constructor)
    : port(p) {
  }
  load_node(std::string h, std::uint16_t p)
    : host(std::move(h))
    , port(p) {
  }
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

/// A client that sends one message per tick, resends what was not
/// acknowledged (same clientMsgId: the server deduplicates), and reconnects
/// to a fallback node with lastSeq when its connection dies (at most every
/// 250 ms, so that a node that refuses every ENTER is not hammered).
class load_client {
public:
  load_client(std::string name, std::string room, const load_node& node,
              load_protocol protocol = load_protocol::raw)
    : name_(std::move(name))
    , room_(std::move(room))
    , protocol_(protocol) {
    connect(node, -1);
  }

  /// Sends the next message (and resends failed ones due again).
  void tick(const load_node& fallback) {
    if (!conn_ || conn_->closed()) {
      reconnect(fallback);
      return;
    }
    auto now = load_clock::now();
    for (auto& [id, p] : pending_)
      if (p.resend_at && *p.resend_at <= now) {
        p.resend_at.reset();
        send_message(id, p.text);
      }
    if (sending_) {
      auto id = name_ + "-" + std::to_string(next_++);
      auto text = "m " + id;
      pending_[id] = {text, std::nullopt};
      sent_.insert(id);
      send_message(id, text);
    }
  }

  /// Reads what has arrived (bounded by `wait`).
  void drain(std::chrono::milliseconds wait, const load_node& fallback) {
    auto deadline = load_clock::now() + wait;
    while (conn_ && !conn_->closed()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - load_clock::now());
      auto text = conn_->recv(std::max(left, std::chrono::milliseconds{1}));
      if (!text)
        break;
      if (protocol_ == load_protocol::stomp)
        on_stomp(parse_load_stomp(*text));
      else
        on_frame(nlohmann::json::parse(*text, nullptr, false));
    }
    if (!conn_ || conn_->closed())
      reconnect(fallback);
  }

  void stop_sending() {
    sending_ = false;
  }

  bool settled() const {
    return pending_.empty();
  }

  const std::string& name() const {
    return name_;
  }
  /// clientMsgId -> seq of every acknowledged message.
  const std::map<std::string, std::uint64_t>& acked() const {
    return acked_;
  }
  /// Seqs of the room's events received, in arrival order.
  const std::vector<std::uint64_t>& seen() const {
    return seen_;
  }
  /// The text of each room event received, by seq (the first one wins).
  const std::map<std::uint64_t, std::string>& seen_text() const {
    return seen_text_;
  }
  /// clientMsgId -> seq of this client's own messages as they came back.
  const std::map<std::string, std::uint64_t>& echoed() const {
    return echoed_;
  }
  /// Every clientMsgId sent (acknowledged or not).
  const std::set<std::string>& sent() const {
    return sent_;
  }
  load_protocol protocol() const {
    return protocol_;
  }
  /// The seq before the first event this client was owed (its first
  /// ENTER's position), and the reconnects it made.
  std::uint64_t start_seq() const {
    return start_seq_;
  }
  int reconnects() const {
    return reconnects_;
  }
  const std::vector<std::string>& errors() const {
    return errors_;
  }
  const std::vector<load_clock::time_point>& ack_times() const {
    return ack_times_;
  }
  /// The close code and moment of each connection the server closed.
  const std::vector<std::pair<std::uint16_t, load_clock::time_point>>&
  closes() const {
    return closes_;
  }

private:
  struct pending_send {
    std::string text;
    std::optional<load_clock::time_point> resend_at;
  };

  void connect(const load_node& node, std::int64_t last_seq) {
    last_connect_ = load_clock::now();
    try {
      ws_options o;
      o.host = node.host;
      if (protocol_ == load_protocol::raw) {
        conn_ = std::make_unique<ws_client>(node.port, o);
        conn_->send_json(enter_frame(room_, name_, last_seq));
        return;
      }
      o.target = "/ws";
      o.headers["Sec-WebSocket-Protocol"] = "v12.stomp";
      conn_ = std::make_unique<ws_client>(node.port, o);
      // Frames behind CONNECT wait for it: no round trip needed.
      conn_->send(load_stomp_text("CONNECT", {{"accept-version", "1.2"},
                                              {"host", "localhost"},
                                              {"login", name_},
                                              {"heart-beat", "0,0"}}));
      std::vector<std::pair<std::string, std::string>> sub{
        {"id", "s1"}, {"destination", "/subscribe/room/" + room_}};
      if (last_seq >= 0)
        sub.emplace_back("last-seq", std::to_string(last_seq));
      conn_->send(load_stomp_text("SUBSCRIBE", sub));
    } catch (const std::exception&) {
      conn_.reset(); // the node may be gone: the next tick tries again
    }
  }

  void reconnect(const load_node& node) {
    if (load_clock::now() - last_connect_ < std::chrono::milliseconds{250})
      return;
    ++reconnects_;
    if (conn_ && conn_->closed())
      closes_.emplace_back(
        conn_->wait_closed(std::chrono::milliseconds{0}).value_or(0),
        load_clock::now());
    auto last = seen_.empty() ? static_cast<std::int64_t>(start_seq_)
                              : static_cast<std::int64_t>(seen_.back());
    connect(node, last);
    // What was in flight is sent again once the ENTER is through.
    for (auto& [id, p] : pending_)
      p.resend_at = load_clock::now() + std::chrono::milliseconds{200};
  }

  void send_message(const std::string& id, const std::string& text) {
    if (!conn_)
      return;
    if (protocol_ == load_protocol::raw) {
      conn_->send_json(message_frame(room_, name_, text, id));
      return;
    }
    nlohmann::json body{{"type", "TALK"},
                        {"roomId", room_},
                        {"sender", name_},
                        {"message", text},
                        {"clientMsgId", id}};
    conn_->send(load_stomp_text("SEND",
                                {{"destination", "/publish/message"},
                                 {"content-type", "application/json"},
                                 {"receipt", id}},
                                body.dump()));
  }

  /// STOMP frames as the raw protocol's: a RECEIPT is an ACK (its seq comes
  /// with the echo), a MESSAGE's body is the event; an ERROR ends the
  /// connection (STOMP closes after it), so the reconnect resends.
  void on_stomp(const load_stomp_frame& f) {
    if (f.command == "RECEIPT") {
      auto i = f.headers.find("receipt-id");
      if (i != f.headers.end())
        on_frame(nlohmann::json{{"type", "ACK"}, {"clientMsgId", i->second}});
    } else if (f.command == "MESSAGE") {
      on_frame(nlohmann::json::parse(f.body, nullptr, false));
    } else if (f.command == "ERROR") {
      auto i = f.headers.find("message");
      errors_.push_back("STOMP ERROR "
                        + (i == f.headers.end() ? f.body : i->second));
    }
  }

  void on_frame(const nlohmann::json& j) {
    if (j.is_discarded())
      return;
    auto type = j.value("type", "");
    if (type == "ACK") {
      auto id = j.value("clientMsgId", "");
      if (pending_.erase(id) > 0 || acked_.count(id) == 0) {
        acked_[id] = j.value("seq", std::uint64_t{0});
        ack_times_.push_back(load_clock::now());
      }
      return;
    }
    if (type == "ERROR") {
      auto id = j.value("clientMsgId", "");
      errors_.push_back(j.dump());
      if (auto p = pending_.find(id); p != pending_.end())
        p->second.resend_at
          = load_clock::now() + std::chrono::milliseconds{300};
      else if (id.empty()
               && j.value("message", "").find("ENTER it again")
                    != std::string::npos)
        reconnect_in_place();
      return;
    }
    if (j.value("roomId", "") != room_ || !j.contains("seq"))
      return;
    auto seq = j["seq"].get<std::uint64_t>();
    if (type == "ENTER" && j.value("sender", "") == name_ && seen_.empty()
        && start_seq_ == 0)
      start_seq_ = seq - 1; // everything from its own ENTER notice on
    seen_.push_back(seq);
    auto text = j.value("message", "");
    seen_text_.emplace(seq, text);
    if (j.value("sender", "") == name_ && text.rfind("m ", 0) == 0)
      echoed_.emplace(text.substr(2), seq);
  }

  /// The server gave up entering a moved room for us: ENTER again.
  void reconnect_in_place() {
    auto last = seen_.empty() ? static_cast<std::int64_t>(start_seq_)
                              : static_cast<std::int64_t>(seen_.back());
    conn_->send_json(enter_frame(room_, name_, last));
  }

  std::string name_;
  std::string room_;
  load_protocol protocol_;
  load_clock::time_point last_connect_{};
  std::unique_ptr<ws_client> conn_;
  bool sending_ = true;
  std::uint64_t next_ = 0;
  std::map<std::string, pending_send> pending_;
  std::set<std::string> sent_;
  std::map<std::string, std::uint64_t> acked_;
  std::vector<std::uint64_t> seen_;
  std::map<std::uint64_t, std::string> seen_text_;
  std::map<std::string, std::uint64_t> echoed_;
  std::uint64_t start_seq_ = 0;
  int reconnects_ = 0;
  std::vector<std::string> errors_;
  std::vector<load_clock::time_point> ack_times_;
  std::vector<std::pair<std::uint16_t, load_clock::time_point>> closes_;
};

/// The longest time without any acknowledgement among all clients (the
/// stall a fault causes), in milliseconds.
inline long
longest_stall_ms(const std::vector<std::unique_ptr<load_client>>& cs,
                 load_clock::time_point from, load_clock::time_point to) {
  std::vector<load_clock::time_point> all;
  for (auto& c : cs)
    for (auto t : c->ack_times())
      if (t >= from && t <= to)
        all.push_back(t);
  std::sort(all.begin(), all.end());
  long worst = 0;
  for (std::size_t i = 1; i < all.size(); ++i)
    worst = std::max<long>(
      worst,
      std::chrono::duration_cast<std::chrono::milliseconds>(all[i] - all[i - 1])
        .count());
  return worst;
}

/// The whole history of `room`, oldest first (seq -> event).
inline std::map<std::uint64_t, nlohmann::json>
history(const load_node& node, const std::string& room) {
  std::map<std::uint64_t, nlohmann::json> out;
  for (int page = 0; page < 1000; ++page) {
    auto r = http_request_at(node.host, node.port, "GET",
                             "/messages/room/" + room
                               + "?page=" + std::to_string(page) + "&size=100");
    EXPECT_EQ(r.status, 200) << r.body;
    auto arr = nlohmann::json::parse(r.body, nullptr, false);
    if (!arr.is_array() || arr.empty())
      break;
    for (auto& e : arr) {
      auto seq = e["seq"].get<std::uint64_t>();
      EXPECT_EQ(out.count(seq), 0u) << "seq " << seq << " twice in history";
      out[seq] = e;
    }
    if (arr.size() < 100)
      break;
  }
  return out;
}

/// The checks every scenario ends with.
inline void
check_exactly_once(const std::vector<std::unique_ptr<load_client>>& cs,
                   const std::map<std::uint64_t, nlohmann::json>& hist) {
  std::map<std::string, std::uint64_t> stored; // clientMsgId -> seq
  for (auto& [seq, e] : hist) {
    auto id = e.value("clientMsgId", "");
    if (id.empty())
      continue;
    EXPECT_EQ(stored.count(id), 0u) << id << " stored twice";
    stored[id] = seq;
  }
  std::size_t acked = 0;
  for (auto& c : cs) {
    SCOPED_TRACE(c->name());
    EXPECT_TRUE(c->settled()) << "messages still unacknowledged";
    for (auto& [id, seq] : c->acked()) {
      ++acked;
      auto i = stored.find(id);
      ASSERT_NE(i, stored.end()) << id << " acknowledged but not stored";
      // A STOMP RECEIPT has no seq: the client's own echo has it.
      auto e = c->echoed().find(id);
      auto known = seq != 0 ? seq : e != c->echoed().end() ? e->second : 0;
      if (known != 0) {
        EXPECT_EQ(i->second, known) << id << " acknowledged with another seq";
      }
    }
    // No duplicates, ascending, and nothing committed in between missing.
    auto& seen = c->seen();
    ASSERT_FALSE(seen.empty());
    for (std::size_t k = 1; k < seen.size(); ++k)
      ASSERT_LT(seen[k - 1], seen[k]) << "repeat or disorder at " << k;
    std::set<std::uint64_t> got(seen.begin(), seen.end());
    for (auto& [seq, e] : hist) {
      if (seq > c->start_seq() && seq <= seen.back()) {
        EXPECT_EQ(got.count(seq), 1u) << "gap: seq " << seq << " never came";
      }
    }
  }
  EXPECT_GT(acked, 0u);
  std::size_t received = 0, errors = 0;
  int reconnects = 0;
  for (auto& c : cs) {
    received += c->seen().size();
    errors += c->errors().size();
    reconnects += c->reconnects();
  }
  // One line of figures per scenario (read by humans in the CI log).
  std::printf("figures: clients=%zu acknowledged=%zu in_history=%zu "
              "received=%zu refusals_retried=%zu reconnects=%d lost=0 "
              "duplicates=0 seqs_reused=0\n",
              cs.size(), acked, stored.size(), received, errors, reconnects);
}

/// Clients whose connection stayed up were refused nothing: their sessions
/// sent again what a move caught (clients named `u<node>...` for the nodes
/// in `kept`).
inline void
expect_no_refusals(const std::vector<std::unique_ptr<load_client>>& cs,
                   const std::vector<std::string>& kept) {
  for (auto& c : cs) {
    bool stayed = std::any_of(kept.begin(), kept.end(), [&](auto& n) {
      return c->name().rfind("u" + n, 0) == 0;
    });
    if (!stayed)
      continue;
    EXPECT_TRUE(c->errors().empty())
      << c->name() << " was refused: " << c->errors().front();
  }
}

/// A room id owned by `owner` among `nodes`.
inline std::string room_owned_by(const std::string& owner,
                                 const std::vector<std::string>& nodes) {
  for (int i = 0; i < 10000; ++i) {
    auto id = "load-" + std::to_string(i);
    if (*h2h::rendezvous_owner(id, nodes) == owner)
      return id;
  }
  throw std::runtime_error("no room for " + owner);
}

} // namespace h2h::test
