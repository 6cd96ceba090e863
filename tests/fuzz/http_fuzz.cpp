// libFuzzer harness of the public port's request handling without sockets:
// Beast's request parser over the bytes, then the real router with every
// REST and ops route, on a fresh copy of a seeded SQLite store per input.
// Every request that parses gets exactly one response, with a valid status,
// an error body of the documented shape, and bytes that parse again as the
// same HTTP response.
//
// Input: the bytes a client sends on one connection (pipelined requests are
// answered in turn while they ask for keep-alive). The literal texts $T1
// and $T2 are replaced by valid access tokens of members 1 and 2, $X1 by an
// expired one of member 1, so that the fuzzer reaches protected routes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>

#include "actors/vocabulary/metrics.hpp"
#include "net/rest/api.hpp"
#include "net/security/crypto.hpp"
#include "net/security/jwt.hpp"
#include "net/rest/ops_routes.hpp"
#include "net/security/password.hpp"
#include "net/server/registry.hpp"
#include "net/http/router.hpp"
#include "persistence/sql/sql.hpp"
#include "persistence/sql/sql_store.hpp"
#include "invariant.hpp"

namespace net = h2h::net;
namespace http = boost::beast::http;
using nlohmann::json;

namespace {

constexpr std::string_view kSecret = "h2h-fuzz-http-key-0123456789-abcdefghij";
constexpr std::int64_t kNowMs = 1'700'000'000'000;
/// As the connection sets them (http_connection.cpp, limits defaults).
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kBodyLimit = 1024 * 1024;
constexpr int kMaxRequests = 8;

using h2h::fuzz::check;
using h2h::fuzz::fail;

class null_mailer final : public net::mailer {
public:
  void send(const std::string&, const std::string&,
            const std::string&) override {
  }
  bool delivers() const override {
    return false;
  }
};

/// What every input starts from: two members with sessions, a known
/// refresh token, a pending verification code, a public and a private room
/// with history.
void seed_store(h2h::store& db) {
  net::password_cost cost;
  cost.ops = 1;
  cost.memory_kib = 8;
  auto hash = net::hash_password("Passw0rd!", cost);
  for (int i = 1; i <= 2; ++i) {
    h2h::member_record m;
    m.email = "m" + std::to_string(i) + "@example.com";
    m.name = "Member " + std::to_string(i);
    m.nickname = "m" + std::to_string(i);
    m.password_hash = hash;
    m.created_ms = kNowMs;
    auto id = db.create_member(m);
    h2h::session_record s;
    s.id = "s" + std::to_string(i);
    s.member_id = *id;
    s.created_ms = kNowMs;
    db.create_session(s);
  }
  h2h::refresh_record r;
  r.token_hash = net::crypto::sha256_hex("fuzz-refresh-1");
  r.member_id = 1;
  r.session_id = "s1";
  r.expires_ms = kNowMs + 3'600'000;
  db.put_refresh(r);
  h2h::code_record c;
  c.email = "new@example.com";
  c.code_hash = net::crypto::sha256_hex("new@example.com:123456");
  c.expires_ms = kNowMs + 300'000;
  db.put_code(c);
  h2h::room_record lobby;
  lobby.id = "lobby";
  lobby.name = "Lobby";
  lobby.owner_id = 1;
  lobby.created_ms = kNowMs;
  db.create_room(lobby);
  auto secret = lobby;
  secret.id = "secret";
  secret.name = "Secret";
  secret.is_private = true;
  db.create_room(secret);
  std::vector<h2h::room_event> history;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    h2h::room_event ev;
    ev.room_id = "lobby";
    ev.seq = seq;
    ev.sender = "m1";
    ev.sender_id = 1;
    ev.text = "hello " + std::to_string(seq);
    ev.ts_ms = kNowMs + static_cast<std::int64_t>(seq);
    ev.client_msg_id = "c-" + std::to_string(seq);
    history.push_back(ev);
  }
  db.append(history);
}

/// A migrated, seeded database file made once per process; each input gets
/// a fresh copy (a third of the cost of migrating a new database). In
/// /dev/shm where there is one: SQLite syncs every commit.
class store_template {
public:
  store_template() {
    namespace fs = std::filesystem;
    fs::path base = fs::is_directory("/dev/shm") ? fs::path{"/dev/shm"}
                                                 : fs::temp_directory_path();
    dir_ = base / ("h2h-http-fuzz-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    {
      auto db
        = h2h::make_sql_store(h2h::sql::open_sqlite(path("template.db")));
      db->migrate();
      seed_store(*db);
    } // closed: the WAL is checkpointed into the file
    std::ifstream in{path("template.db"), std::ios::binary};
    bytes_.assign(std::istreambuf_iterator<char>{in},
                  std::istreambuf_iterator<char>{});
    if (bytes_.empty()) {
      std::fprintf(stderr, "http_fuzz: empty store template\n");
      std::abort();
    }
  }
  ~store_template() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// A fresh copy of the template, open.
  std::unique_ptr<h2h::store> fresh() const {
    namespace fs = std::filesystem;
    auto work = path("work.db");
    // Written from memory with a stream, which retries a write cut by a
    // signal: libFuzzer's timer (SIGALRM) made copy_file's sendfile fail
    // with EINTR and abort the run.
    {
      std::ofstream out{work, std::ios::binary | std::ios::trunc};
      out.write(bytes_.data(), static_cast<std::streamsize>(bytes_.size()));
      out.flush();
      if (!out) {
        std::fprintf(stderr, "http_fuzz: cannot write %s\n", work.c_str());
        std::abort();
      }
    }
    fs::remove(work + "-wal");
    fs::remove(work + "-shm");
    auto db = h2h::make_sql_store(h2h::sql::open_sqlite(work));
    db->migrate();
    return db;
  }

private:
  std::string path(const char* name) const {
    return (dir_ / name).string();
  }
  std::filesystem::path dir_;
  std::string bytes_; // the template database file
};

std::string token_of(std::int64_t member, const char* sid, std::int64_t exp) {
  net::token_claims c;
  c.member_id = member;
  c.session_id = sid;
  c.issued_at = kNowMs / 1000 - 60;
  c.expires_at = exp;
  return net::sign_token(c, kSecret);
}

/// The router with every route over a fresh store, as the node wires it.
struct world {
  std::unique_ptr<h2h::store> db;
  std::unique_ptr<h2h::inline_store_runner> runner;
  std::shared_ptr<net::api_context> api;
  net::router routes;
  net::net_counters counters;
  int changes = 0;

  explicit world(const store_template& t)
    : db(t.fresh()) {
    net::api_settings cfg;
    cfg.jwt_secret = std::string{kSecret};
    cfg.cost.ops = 1;
    cfg.cost.memory_kib = 8;
    api = std::make_shared<net::api_context>(cfg);
    api->now_ms = [] { return kNowMs; };
    runner = std::make_unique<h2h::inline_store_runner>(*db);
    api->store_jobs = runner.get();
    api->mail = std::make_shared<null_mailer>();
    api->notify_rooms = [this](const h2h::room_change&) { ++changes; };
    net::ops_sources ops;
    ops.draining = [] { return false; };
    ops.actors = std::make_shared<h2h::node_metrics>();
    ops.network = &counters;
    ops.open_connections = [] { return std::size_t{1}; };
    ops.check_store = [this](std::function<void(bool)> done) {
      db->ping();
      done(true);
    };
    net::add_ops_routes(routes, std::move(ops));
    net::add_api_routes(routes, api);
  }
};

void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (auto i = s.find(from); i != std::string::npos;
       i = s.find(from, i + to.size()))
    s.replace(i, from.size(), to);
}

/// The response as bytes on the wire, parsed back by a client. The answer
/// to HEAD has the GET's headers (Content-Length included) and no body: its
/// client parses it knowing that.
void check_wire(const net::http_response& res, bool head,
                const std::string& what) {
  std::ostringstream out;
  out << res;
  auto wire = out.str();
  http::response_parser<http::string_body> p;
  p.eager(true);
  p.skip(head);
  if (head)
    check(res.body().empty(), "a HEAD response has a body", wire);
  boost::beast::error_code ec;
  auto used = p.put(boost::asio::buffer(wire), ec);
  if (ec == http::error::need_more && !p.is_done())
    p.put_eof(ec);
  check(!ec && p.is_done(), "a response does not parse again", wire);
  check(p.get().result_int() == res.result_int(),
        "a response parses with another status", wire);
  check(p.get().body() == res.body(), "a response parses with another body",
        wire);
  check(used == wire.size(), "a response carries bytes after its end", wire);
  (void)what;
}

void check_response(const net::http_request& req, int calls,
                    const net::http_response& res) {
  std::ostringstream shown;
  shown << req.method_string() << ' ' << req.target();
  auto what = shown.str();
  // For writing seeds: H2H_FUZZ_VERBOSE=1 shows what each request got.
  static const bool verbose = std::getenv("H2H_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "%s -> %u %s\n", what.c_str(), res.result_int(),
                 res.body().substr(0, 200).c_str());
  check(calls == 1,
        calls == 0 ? "a request got no response"
                   : "a request got several responses",
        what);
  auto status = res.result_int();
  check(status >= 200 && status <= 599, "a response with an invalid status",
        what);
  bool head = req.method() == http::verb::head; // headers only
  auto type = res[http::field::content_type];
  if (type == "application/json" && !res.body().empty()) {
    auto j = json::parse(res.body(), nullptr, false);
    check(!j.is_discarded(), "a JSON response that is not JSON", res.body());
    if (status >= 400) {
      check(j.is_object() && j.size() == 3 && j.contains("status")
              && j.contains("code") && j.contains("message"),
            "an error body without exactly status, code and message",
            res.body());
      check(j["status"] == status, "an error body with another status",
            res.body());
      check(j["code"].is_string() && j["message"].is_string(),
            "an error body with a non-string code or message", res.body());
    }
  } else if (status >= 400 && !head) {
    fail("an error response that is not JSON", what);
  }
  check_wire(res, head, what);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const store_template templ;
  static const std::string t1 = token_of(1, "s1", kNowMs / 1000 + 3600);
  static const std::string t2 = token_of(2, "s2", kNowMs / 1000 + 3600);
  static const std::string x1 = token_of(1, "s1", kNowMs / 1000 - 1);
  world w{templ};
  std::string bytes{reinterpret_cast<const char*>(data), size};
  replace_all(bytes, "$T1", t1);
  replace_all(bytes, "$T2", t2);
  replace_all(bytes, "$X1", x1);
  std::string_view rest{bytes};

  for (int n = 0; n < kMaxRequests && !rest.empty(); ++n) {
    http::request_parser<net::http_request::body_type> p;
    p.header_limit(kHeaderLimit);
    p.body_limit(kBodyLimit);
    p.eager(true);
    boost::beast::error_code ec;
    while (!p.is_done() && !ec) {
      if (rest.empty()) {
        // The client sent no more: the connection sees end of stream.
        p.put_eof(ec);
        break;
      }
      auto used = p.put(boost::asio::buffer(rest.data(), rest.size()), ec);
      rest.remove_prefix(used);
      if (ec == http::error::need_more)
        ec = {};
      if (!ec && used == 0) // all bytes are here: the rest never comes
        p.put_eof(ec);
    }
    if (ec || !p.is_done())
      return 0; // the connection answers 400 and closes
    auto req = p.release();
    if (boost::beast::websocket::is_upgrade(req))
      return 0; // not the router's: the WebSocket handshake takes it
    auto keep_alive = req.keep_alive();
    auto copy = req;
    int calls = 0;
    net::http_response got;
    w.routes.dispatch(std::move(req), net::request_meta{"10.0.0.1"},
                      [&](net::http_response res) {
                        ++calls;
                        got = std::move(res);
                      });
    check_response(copy, calls, got);
    if (!keep_alive || !got.keep_alive())
      return 0;
  }
  return 0;
}
