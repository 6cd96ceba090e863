// The node registry and its watch over hiredis: the one file that includes it.
#include "persistence/registry/node_registry.hpp"
#include "persistence/registry/redis_target.hpp"
#include "persistence/registry/sigpipe_guard.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <poll.h>
#include <set>

namespace h2h {

namespace {

using namespace std::chrono;

// SCAN stops after this many keys or calls, so a huge or hostile database
// bounds the time and memory of one scan.
constexpr std::size_t max_keys = 10'000;
constexpr int max_scan_calls = 10'000;
constexpr std::size_t mget_batch = 100;
// Keys reported as not being node records, remembered so that a periodic
// scan does not repeat the warning.
constexpr std::size_t max_warned = 100;
// Reads a watch makes after a change to coalesce a burst, at most.
constexpr int max_extra_reads = 16;

struct reply_free {
  void operator()(redisReply* r) const {
    freeReplyObject(r);
  }
};
using reply_ptr = std::unique_ptr<redisReply, reply_free>;

struct context_free {
  void operator()(redisContext* c) const {
    redisFree(c);
  }
};
using context_ptr = std::unique_ptr<redisContext, context_free>;

timeval to_timeval(milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string_view str(const redisReply* r) {
  return {r->str, r->len};
}

bool is_string(const redisReply* r) {
  return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}

// One connection to Redis, made on first use; any failure drops it and
// throws, and the next use makes one new attempt.
class connection {
public:
  explicit connection(redis_target t)
    : t_(std::move(t)) {
  }

  const redis_target& settings() const {
    return t_;
  }

  redisContext* get() const {
    return ctx_.get();
  }

  /// Counts the connections made, so callers can tell a new one.
  std::uint64_t generation() const {
    return generation_;
  }

  void ensure() {
    if (ctx_)
      return;
    auto tv = to_timeval(t_.timeout);
    context_ptr c{
      redisConnectWithTimeout(t_.addr.host.c_str(), t_.addr.port, tv)};
    if (!c)
      throw registry_error(t_.where + ": connect: out of memory");
    if (c->err)
      throw registry_error(t_.where + ": connect: " + c->errstr);
    if (redisSetTimeout(c.get(), tv) != REDIS_OK)
      throw registry_error(t_.where + ": cannot set the timeout");
    ctx_ = std::move(c);
    ++generation_;
    if (!t_.addr.password.empty()) {
      if (t_.addr.user.empty())
        run({"AUTH", t_.addr.password});
      else
        run({"AUTH", t_.addr.user, t_.addr.password});
    }
    if (t_.addr.db != 0)
      run({"SELECT", std::to_string(t_.addr.db)});
  }

  /// Sends a command; its reply is read by run(), or pushed (subscribed).
  void send(const std::vector<std::string_view>& args) {
    ensure();
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (auto a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    sigpipe_guard guard;
    if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()),
                               argv.data(), lens.data())
        != REDIS_OK)
      fail(std::string{args.front()} + ": " + io_error());
    int done = 0;
    while (!done)
      if (redisBufferWrite(ctx_.get(), &done) != REDIS_OK)
        fail(std::string{args.front()} + ": " + io_error());
  }

  /// The next reply, an error reply too; `what` names it in a failure.
  reply_ptr reply(std::string_view what) {
    void* raw = nullptr;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || !raw)
      fail(std::string{what} + ": " + io_error());
    return reply_ptr{static_cast<redisReply*>(raw)};
  }

  /// One command and its reply; an error reply is a failure.
  reply_ptr run(const std::vector<std::string_view>& args) {
    send(args);
    auto r = reply(args.front());
    if (r->type == REDIS_REPLY_ERROR)
      fail(std::string{args.front()} + ": " + std::string{str(r.get())});
    return r;
  }

  /// The description of the context's I/O error (a timeout says so).
  std::string io_error() const {
    if (!ctx_ || !ctx_->err)
      return "no reply";
    std::string_view e{ctx_->errstr};
    if (ctx_->err == REDIS_ERR_IO
        && (e == std::strerror(EAGAIN) || e == std::strerror(EWOULDBLOCK)))
      return "timed out after " + std::to_string(t_.timeout.count()) + " ms";
    return std::string{e};
  }

  void drop() {
    ctx_.reset();
  }

  [[noreturn]] void fail(const std::string& what) {
    drop();
    throw registry_error(t_.where + ": " + what);
  }

private:
  redis_target t_;
  context_ptr ctx_;
  std::uint64_t generation_ = 0;
};

class redis_registry final : public node_registry {
public:
  explicit redis_registry(redis_target t)
    : conn_(std::move(t))
    , channel_(nodes_channel(conn_.settings().prefix)) {
  }

  void announce(const node_record& self, milliseconds ttl) override {
    if (auto why = node_record_problem(self))
      throw registry_error("announce: " + *why);
    if (ttl <= milliseconds::zero())
      throw registry_error("announce: ttl must be positive");
    auto key = node_key(conn_.settings().prefix, self.id);
    auto value = encode_node(self);
    auto px = std::to_string(ttl.count());
    conn_.run({"SET", key, value, "PX", px});
    // A failure dropped the connection: a new one means watchers may have
    // missed us, or our key expired meanwhile, so say "up" again.
    // A node that begins to leave (or stops leaving) is said at once too;
    // a refresh of the same state is no news.
    if (announced_gen_ != conn_.generation() || announced_id_ != self.id
        || announced_leaving_ != self.leaving) {
      conn_.run(
        {"PUBLISH", channel_, (self.leaving ? "leaving " : "up ") + self.id});
      announced_gen_ = conn_.generation();
      announced_id_ = self.id;
      announced_leaving_ = self.leaving;
    }
  }

  void withdraw(const std::string& id) override {
    if (!valid_node_id(id))
      throw registry_error("withdraw: bad node id");
    announced_gen_ = 0;
    conn_.run({"DEL", node_key(conn_.settings().prefix, id)});
    conn_.run({"PUBLISH", channel_, "down " + id});
  }

  std::vector<node_record> scan() override {
    auto keys = scan_keys();
    std::vector<node_record> out;
    std::vector<std::string_view> args;
    for (std::size_t i = 0; i < keys.size(); i += mget_batch) {
      args.assign({"MGET"});
      auto end = std::min(keys.size(), i + mget_batch);
      for (auto j = i; j < end; ++j)
        args.emplace_back(keys[j]);
      auto r = conn_.run(args);
      if (r->type != REDIS_REPLY_ARRAY || r->elements != end - i)
        conn_.fail("MGET: unexpected reply");
      for (auto j = i; j < end; ++j) {
        auto* v = r->element[j - i];
        if (v->type == REDIS_REPLY_NIL)
          continue; // expired between SCAN and MGET
        auto rec = is_string(v) ? decode_node(str(v)) : std::nullopt;
        auto id = std::string_view{keys[j]}.substr(prefix_len());
        if (rec && rec->id == id)
          out.push_back(std::move(*rec));
        else
          warn_once(keys[j]);
      }
    }
    return out;
  }

private:
  std::size_t prefix_len() const {
    return node_key(conn_.settings().prefix, "").size();
  }

  std::vector<std::string> scan_keys() {
    std::set<std::string> keys; // SCAN may return a key twice
    auto pattern = node_key(conn_.settings().prefix, "*");
    std::string cursor = "0";
    int calls = 0;
    do {
      auto r = conn_.run({"SCAN", cursor, "MATCH", pattern, "COUNT", "100"});
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
          || !is_string(r->element[0])
          || r->element[1]->type != REDIS_REPLY_ARRAY)
        conn_.fail("SCAN: unexpected reply");
      cursor = std::string{str(r->element[0])};
      auto* batch = r->element[1];
      for (std::size_t i = 0; i < batch->elements; ++i)
        if (is_string(batch->element[i]))
          keys.emplace(str(batch->element[i]));
      if (keys.size() >= max_keys || ++calls >= max_scan_calls) {
        spdlog::warn("{}: scan of {} stopped after {} keys and {} calls; "
                     "some nodes may be missing",
                     conn_.settings().where, pattern, keys.size(), calls);
        break;
      }
    } while (cursor != "0");
    return {keys.begin(), keys.end()};
  }

  void warn_once(const std::string& key) {
    if (warned_.count(key))
      return;
    if (warned_.size() >= max_warned)
      warned_.clear();
    warned_.insert(key);
    spdlog::warn("{}: {} does not hold a node record of its id; skipped",
                 conn_.settings().where, key);
  }

  connection conn_;
  std::string channel_;
  std::uint64_t announced_gen_ = 0;
  std::string announced_id_;
  bool announced_leaving_ = false;
  std::set<std::string> warned_;
};

class redis_watch final : public node_watch {
public:
  explicit redis_watch(redis_target t)
    : conn_(std::move(t))
    , channel_(nodes_channel(conn_.settings().prefix))
    , keyspace_("__keyspace@" + std::to_string(conn_.settings().addr.db)
                + "__:" + node_key(conn_.settings().prefix, "*")) {
  }

  bool wait_change(milliseconds timeout) override {
    auto deadline = steady_clock::now() + timeout;
    try {
      if (!conn_.get()) {
        subscribe();
        if (lost_) {
          lost_ = false;
          return true;
        }
      }
      if (!ping_sent_) {
        // Redis says nothing to an idle subscriber: a PING proves it is
        // still there, or the missing answer proves it is not.
        conn_.send({"PING"});
        ping_sent_ = steady_clock::now();
      }
      return await(deadline);
    } catch (const registry_error&) {
      lost_ = true;
      throw;
    }
  }

private:
  void subscribe() {
    ping_sent_.reset();
    expect_reply(conn_.run({"SUBSCRIBE", channel_}), "subscribe");
    // Keyspace events come only where the server's notify-keyspace-events
    // has them (K with x, g or e); elsewhere this subscription stays quiet.
    // An ACL may refuse it: then the channel and the rescan must do.
    if (keyspace_refused_)
      return;
    conn_.send({"PSUBSCRIBE", keyspace_});
    auto r = conn_.reply("PSUBSCRIBE");
    if (r->type != REDIS_REPLY_ERROR)
      return expect_reply(r, "psubscribe");
    keyspace_refused_ = true;
    spdlog::warn("{}: no keyspace events of {} ({}); expired nodes are "
                 "noticed by the rescan only",
                 conn_.settings().where, keyspace_, str(r.get()));
  }

  void expect_reply(const reply_ptr& r, std::string_view kind) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1
        || !is_string(r->element[0]) || str(r->element[0]) != kind)
      conn_.fail(std::string{kind} + ": unexpected reply");
  }

  // Reads pushed messages until one is a change (then also takes the ones
  // already here, so that a burst counts once) or the deadline passes.
  bool await(steady_clock::time_point deadline) {
    const auto limit = conn_.settings().timeout;
    bool changed = false;
    int extra_reads = 0;
    for (;;) {
      while (auto r = next_buffered())
        changed = take(r.get()) || changed;
      // What the socket already holds comes first: the rest of a burst, or
      // a PONG that is not overdue after all.
      if (readable(milliseconds::zero())) {
        if (changed && ++extra_reads > max_extra_reads)
          return true;
        read_socket();
        continue;
      }
      if (changed)
        return true;
      auto now = steady_clock::now();
      if (ping_sent_ && now >= *ping_sent_ + limit)
        conn_.fail("no answer to PING within " + std::to_string(limit.count())
                   + " ms");
      if (now >= deadline)
        return false;
      auto until
        = ping_sent_ ? std::min(deadline, *ping_sent_ + limit) : deadline;
      if (readable(ceil<milliseconds>(until - now)))
        read_socket();
    }
  }

  void read_socket() {
    if (redisBufferRead(conn_.get()) != REDIS_OK)
      conn_.fail(conn_.io_error());
  }

  bool readable(milliseconds wait) {
    pollfd p{conn_.get()->fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (n < 0 && errno != EINTR)
      conn_.fail(std::string{"poll: "} + std::strerror(errno));
    return n > 0; // POLLHUP and POLLERR too: the read reports them
  }

  reply_ptr next_buffered() {
    void* raw = nullptr;
    if (redisGetReplyFromReader(conn_.get(), &raw) != REDIS_OK)
      conn_.fail("protocol error: " + conn_.io_error());
    return reply_ptr{static_cast<redisReply*>(raw)};
  }

  // True for a message on the channel; a PING's answer clears the PING.
  bool take(const redisReply* r) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1
        || !is_string(r->element[0]))
      return false;
    auto kind = str(r->element[0]);
    if (kind == "pong") {
      ping_sent_.reset();
      return false;
    }
    if (kind == "message")
      return true;
    // A node's key went away without a "down": it expired, was deleted or
    // evicted. Writes (a heartbeat's "set", "expire") change nothing.
    if (kind != "pmessage" || r->elements != 4 || !is_string(r->element[3]))
      return false;
    auto event = str(r->element[3]);
    return event == "expired" || event == "del" || event == "evicted";
  }

  connection conn_;
  std::string channel_;
  std::string keyspace_;
  bool keyspace_refused_ = false;
  std::optional<steady_clock::time_point> ping_sent_;
  bool lost_ = false;
};

} // namespace

std::unique_ptr<node_registry> make_redis_registry(const redis_settings& cfg) {
  return std::make_unique<redis_registry>(check_redis_settings(cfg));
}

std::unique_ptr<node_watch> make_redis_watch(const redis_settings& cfg) {
  return std::make_unique<redis_watch>(check_redis_settings(cfg));
}

} // namespace h2h
