// Real multi-process cluster tests under a steady send load (ctest label
// `cluster`): a node killed with SIGKILL, a node that joins, Redis stopped
// and started again. Afterwards every acknowledged message is in history
// exactly once, every client saw a gap-free, duplicate-free sequence (it
// reconnects with lastSeq when its node died), and no seq maps to two
// messages.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "actors/cluster/rendezvous.hpp"
#include "cluster_support.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

/// A client that sends one message per tick, resends what was not
/// acknowledged (same clientMsgId: the server deduplicates), and reconnects
/// to a fallback node with lastSeq when its connection dies.
class load_client {
public:
  load_client(std::string name, std::string room, std::uint16_t port)
    : name_(std::move(name))
    , room_(std::move(room)) {
    connect(port, -1);
  }

  /// Sends the next message (and resends failed ones due again).
  void tick(std::uint16_t fallback_port) {
    if (!conn_ || conn_->closed()) {
      reconnect(fallback_port);
      return;
    }
    auto now = clock_type::now();
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
  void drain(std::chrono::milliseconds wait, std::uint16_t fallback_port) {
    auto deadline = clock_type::now() + wait;
    while (conn_ && !conn_->closed()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock_type::now());
      auto text = conn_->recv(std::max(left, 1ms));
      if (!text)
        break;
      on_frame(json::parse(*text, nullptr, false));
    }
    if (!conn_ || conn_->closed())
      reconnect(fallback_port);
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
  const std::vector<clock_type::time_point>& ack_times() const {
    return ack_times_;
  }
  /// The close code and moment of each connection the server closed.
  const std::vector<std::pair<std::uint16_t, clock_type::time_point>>&
  closes() const {
    return closes_;
  }

private:
  struct pending_send {
    std::string text;
    std::optional<clock_type::time_point> resend_at;
  };

  void connect(std::uint16_t port, std::int64_t last_seq) {
    try {
      conn_ = std::make_unique<ws_client>(port);
      conn_->send_json(enter_frame(room_, name_, last_seq));
    } catch (const std::exception&) {
      conn_.reset(); // the node may be gone: the next tick tries again
    }
  }

  void reconnect(std::uint16_t port) {
    ++reconnects_;
    if (conn_ && conn_->closed())
      closes_.emplace_back(conn_->wait_closed(0ms).value_or(0),
                           clock_type::now());
    auto last = seen_.empty() ? static_cast<std::int64_t>(start_seq_)
                              : static_cast<std::int64_t>(seen_.back());
    connect(port, last);
    // What was in flight is sent again once the ENTER is through.
    for (auto& [id, p] : pending_)
      p.resend_at = clock_type::now() + 200ms;
  }

  void send_message(const std::string& id, const std::string& text) {
    if (conn_)
      conn_->send_json(message_frame(room_, name_, text, id));
  }

  void on_frame(const json& j) {
    if (j.is_discarded())
      return;
    auto type = j.value("type", "");
    if (type == "ACK") {
      auto id = j.value("clientMsgId", "");
      if (pending_.erase(id) > 0 || acked_.count(id) == 0) {
        acked_[id] = j.value("seq", std::uint64_t{0});
        ack_times_.push_back(clock_type::now());
      }
      return;
    }
    if (type == "ERROR") {
      auto id = j.value("clientMsgId", "");
      errors_.push_back(j.dump());
      if (auto p = pending_.find(id); p != pending_.end())
        p->second.resend_at = clock_type::now() + 300ms;
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
  }

  /// The server gave up entering a moved room for us: ENTER again.
  void reconnect_in_place() {
    auto last = seen_.empty() ? static_cast<std::int64_t>(start_seq_)
                              : static_cast<std::int64_t>(seen_.back());
    conn_->send_json(enter_frame(room_, name_, last));
  }

  std::string name_;
  std::string room_;
  std::unique_ptr<ws_client> conn_;
  bool sending_ = true;
  std::uint64_t next_ = 0;
  std::map<std::string, pending_send> pending_;
  std::set<std::string> sent_;
  std::map<std::string, std::uint64_t> acked_;
  std::vector<std::uint64_t> seen_;
  std::uint64_t start_seq_ = 0;
  int reconnects_ = 0;
  std::vector<std::string> errors_;
  std::vector<clock_type::time_point> ack_times_;
  std::vector<std::pair<std::uint16_t, clock_type::time_point>> closes_;
};

/// The longest time without any acknowledgement among all clients (the
/// stall a fault causes), in milliseconds.
long longest_stall_ms(const std::vector<std::unique_ptr<load_client>>& cs,
                      clock_type::time_point from, clock_type::time_point to) {
  std::vector<clock_type::time_point> all;
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
std::map<std::uint64_t, json> history(std::uint16_t port,
                                      const std::string& room) {
  std::map<std::uint64_t, json> out;
  for (int page = 0; page < 1000; ++page) {
    auto r = http_request(port, "GET",
                          "/messages/room/" + room
                            + "?page=" + std::to_string(page) + "&size=100");
    EXPECT_EQ(r.status, 200) << r.body;
    auto arr = json::parse(r.body, nullptr, false);
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
void check_exactly_once(const std::vector<std::unique_ptr<load_client>>& cs,
                        const std::map<std::uint64_t, json>& hist) {
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
      EXPECT_EQ(i->second, seq) << id << " acknowledged with another seq";
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
void expect_no_refusals(const std::vector<std::unique_ptr<load_client>>& cs,
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
std::string room_owned_by(const std::string& owner,
                          const std::vector<std::string>& nodes) {
  for (int i = 0; i < 10000; ++i) {
    auto id = "load-" + std::to_string(i);
    if (*h2h::rendezvous_owner(id, nodes) == owner)
      return id;
  }
  throw std::runtime_error("no room for " + owner);
}

class cluster_failover : public ::testing::Test {
protected:
  void SetUp() override {
    auto c = test_cluster::make();
    if (!c)
      GTEST_SKIP() << "H2H_TEST_MYSQL_URL or H2H_TEST_REDIS_URL is not set";
    cluster_.emplace(std::move(*c));
  }

  /// Runs the load for `ms` with `during` called once half-way; then stops
  /// sending and waits (bounded) for every ACK.
  void run_load(std::vector<std::unique_ptr<load_client>>& cs,
                std::chrono::milliseconds span, std::uint16_t fallback,
                const std::function<void()>& during) {
    auto start = clock_type::now();
    bool done = false;
    while (clock_type::now() - start < span) {
      if (!done && clock_type::now() - start >= span / 2) {
        during();
        done = true;
      }
      for (auto& c : cs) {
        c->tick(fallback);
        c->drain(2ms, fallback);
      }
      std::this_thread::sleep_for(20ms);
    }
    for (auto& c : cs)
      c->stop_sending();
    auto deadline = clock_type::now() + 30s;
    while (clock_type::now() < deadline) {
      bool all = true;
      for (auto& c : cs) {
        c->tick(fallback);
        c->drain(20ms, fallback);
        all = all && c->settled();
      }
      if (all)
        break;
    }
    for (auto& c : cs)
      c->drain(300ms, fallback); // the last broadcasts
  }

  std::optional<test_cluster> cluster_;
};

TEST_F(cluster_failover, a_node_killed_under_load_loses_and_repeats_nothing) {
  cluster_->start("n1");
  cluster_->start("n2");
  cluster_->start("n3");
  ASSERT_TRUE(cluster_->wait_nodes(3));
  // The room lives on the node that dies: the hardest case.
  auto room = room_owned_by("n3", {"n1", "n2", "n3"});
  auto p1 = cluster_->node("n1").port();
  std::vector<std::unique_ptr<load_client>> cs;
  for (auto id : {"n1", "n2", "n3"})
    for (int k = 0; k < 2; ++k)
      cs.push_back(std::make_unique<load_client>(
        std::string{"u"} + id + "-" + std::to_string(k), room,
        cluster_->node(id).port()));
  auto killed_at = clock_type::now();
  run_load(cs, 4s, p1, [&] {
    killed_at = clock_type::now();
    cluster_->kill("n3");
  });
  auto stall = longest_stall_ms(cs, killed_at - 100ms, killed_at + 1900ms);
  std::printf("figures: longest stall after SIGKILL %ld ms\n", stall);
  EXPECT_LT(stall, 3000) << "the dead node's room served again within 3 s";
  auto hist = history(p1, room);
  check_exactly_once(cs, hist);
  int moved = 0;
  for (auto& c : cs)
    moved += c->reconnects();
  EXPECT_GE(moved, 2) << "the clients of n3 reconnected";
  expect_no_refusals(cs, {"n1", "n2"});
}

TEST_F(cluster_failover, a_node_joining_under_load_loses_and_repeats_nothing) {
  cluster_->start("n1");
  cluster_->start("n2");
  ASSERT_TRUE(cluster_->wait_nodes(2));
  // The room moves to the node that joins.
  auto room = room_owned_by("n3", {"n1", "n2", "n3"});
  auto p1 = cluster_->node("n1").port();
  std::vector<std::unique_ptr<load_client>> cs;
  for (auto id : {"n1", "n2"})
    for (int k = 0; k < 2; ++k)
      cs.push_back(std::make_unique<load_client>(
        std::string{"u"} + id + "-" + std::to_string(k), room,
        cluster_->node(id).port()));
  run_load(cs, 4s, p1, [&] { cluster_->start("n3"); });
  EXPECT_TRUE(cluster_->wait_nodes(3));
  check_exactly_once(cs, history(p1, room));
  expect_no_refusals(cs, {"n1", "n2"});
}

TEST_F(cluster_failover, redis_stopped_and_started_under_load_loses_nothing) {
  cluster_.reset();
  cluster_.emplace(std::move(*test_cluster::make(true)));
  cluster_->start("n1");
  cluster_->start("n2");
  cluster_->start("n3");
  ASSERT_TRUE(cluster_->wait_nodes(3));
  auto room = room_owned_by("n2", {"n1", "n2", "n3"});
  auto p1 = cluster_->node("n1").port();
  std::vector<std::unique_ptr<load_client>> cs;
  for (auto id : {"n1", "n2", "n3"})
    cs.push_back(std::make_unique<load_client>(std::string{"u"} + id, room,
                                               cluster_->node(id).port()));
  // Redis is away for longer than a registration's TTL: the nodes keep the
  // last known node set and go on serving.
  run_load(cs, 6s, p1, [&] {
    cluster_->stop_redis();
    std::this_thread::sleep_for(3500ms);
    for (auto& c : cs) {
      c->tick(p1);
      c->drain(10ms, p1);
    }
    auto r = http_request(p1, "GET", "/readyz");
    EXPECT_EQ(r.status, 200) << "ready without Redis: " << r.body;
    EXPECT_NE(r.body.find("\"registry\":\"unreachable\""), std::string::npos)
      << r.body;
    cluster_->start_redis();
  });
  EXPECT_TRUE(cluster_->wait_nodes(3)) << "the nodes registered again";
  auto r = http_request(p1, "GET", "/readyz");
  EXPECT_NE(r.body.find("\"registry\":\"ok\""), std::string::npos) << r.body;
  check_exactly_once(cs, history(p1, room));
  for (auto& c : cs)
    EXPECT_EQ(c->reconnects(), 0) << c->name() << ": nothing moved";
  expect_no_refusals(cs, {"n1", "n2", "n3"});
}

TEST_F(cluster_failover, a_node_drained_under_load_loses_and_repeats_nothing) {
  // n1 drains over 2 s (the window is read from the environment of the
  // process that starts it); n2 keeps the default.
  constexpr int window_ms = 2000;
  setenv("H2H_SERVER_DRAIN_WINDOW_MS", std::to_string(window_ms).c_str(), 1);
  cluster_->start("n1");
  unsetenv("H2H_SERVER_DRAIN_WINDOW_MS");
  cluster_->start("n2");
  ASSERT_TRUE(cluster_->wait_nodes(2));
  // The room lives on the node that drains: it has to move.
  auto room = room_owned_by("n1", {"n1", "n2"});
  auto p1 = cluster_->node("n1").port();
  auto p2 = cluster_->node("n2").port();
  std::vector<std::unique_ptr<load_client>> cs;
  for (auto id : {"n1", "n2"})
    for (int k = 0; k < 4; ++k) {
      cs.push_back(std::make_unique<load_client>(
        std::string{"u"} + id + "-" + std::to_string(k), room,
        cluster_->node(id).port()));
      // One ENTER at a time: a relayed client that sees an earlier
      // client's ENTER notice before its own would not know where it began.
      cs.back()->drain(200ms, cluster_->node(id).port());
    }
  auto sigterm_at = clock_type::now();
  auto flipped_at = sigterm_at;
  int ready = 0;
  run_load(cs, 6s, p2, [&] {
    sigterm_at = clock_type::now();
    cluster_->node("n1").signal(SIGTERM);
    while (clock_type::now() - sigterm_at < 1s) {
      try {
        ready = http_request(p1, "GET", "/readyz").status;
      } catch (const std::exception&) {
        ready = -1;
      }
      if (ready == 503)
        break;
    }
    flipped_at = clock_type::now();
  });
  EXPECT_EQ(ready, 503) << "n1's /readyz during the drain";
  auto rc = cluster_->node("n1").wait(20s);
  ASSERT_TRUE(rc.has_value()) << "n1 did not exit after its drain";
  EXPECT_EQ(*rc, 0);
  auto at = [&](clock_type::time_point tp) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(tp
                                                                 - sigterm_at)
      .count();
  };
  std::vector<long> closed;
  for (auto& c : cs) {
    SCOPED_TRACE(c->name());
    bool on_n1 = c->name().rfind("un1", 0) == 0;
    if (!on_n1) {
      EXPECT_TRUE(c->closes().empty()) << "n2's clients stay connected";
      continue;
    }
    ASSERT_EQ(c->closes().size(), 1u) << "closed once, then on n2";
    EXPECT_EQ(c->closes()[0].first, 1001);
    closed.push_back(at(c->closes()[0].second));
  }
  std::sort(closed.begin(), closed.end());
  ASSERT_EQ(closed.size(), 4u);
  EXPECT_LT(at(flipped_at), closed.front()) << "readiness flips first";
  EXPECT_GE(closed.back() - closed.front(), window_ms / 2)
    << "closed in batches over the window";
  EXPECT_LE(closed.back(), window_ms + 1000) << "all within the window";
  check_exactly_once(cs, history(p2, room));
  expect_no_refusals(cs, {"n2"});
}

} // namespace
