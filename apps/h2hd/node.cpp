// One h2h node: the actor system, the room directory, the metrics port and
// the public port. Each start registers its stop at once; the stops run in
// reverse order of the starts.
#include "apps/h2hd/node.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/admin/admin_actor.hpp"
#include "actors/admin/admin_results.hpp"
#include "actors/chat/room_directory.hpp"
#include "actors/chat/session_actor.hpp"
#include "actors/cluster/cluster_actor.hpp"
#include "actors/push/push_dispatcher.hpp"
#include "actors/push/store_devices.hpp"
#include "actors/store/periodic_job.hpp"
#include "actors/store/persistence_actor.hpp"
#include "actors/store/store_pool.hpp"
#include "actors/vocabulary/types.hpp"
#include "apps/h2hd/chat_streams.hpp"
#include "apps/h2hd/cluster_tls.hpp"
#include "apps/h2hd/live_count.hpp"
#include "apps/h2hd/settings_map.hpp"
#include "apps/h2hd/memory_trim.hpp"
#include "apps/h2hd/stop_stack.hpp"
#include "net/admin/admin_listener.hpp"
#include "net/admin/admin_reports.hpp"
#include "net/outbound/fcm_sender.hpp"
#include "net/outbound/mail_worker.hpp"
#include "net/http/router.hpp"
#include "net/protocol/raw_json/raw_json_protocol.hpp"
#include "net/protocol/stomp/stomp_protocol.hpp"
#include "net/rest/account_purge.hpp"
#include "net/rest/api.hpp"
#include "net/rest/ops_routes.hpp"
#include "net/rest/send_route.hpp"
#include "net/rest/upgrade_auth.hpp"
#include "net/server/actor_bridge.hpp"
#include "net/server/metrics_listener.hpp"
#include "net/server/server.hpp"
#include "net/web/static_site.hpp"
#include "persistence/sql/sql_store.hpp"
#include "h2h_version.hpp"

namespace h2h::net {

namespace {

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// Opens the store and applies migrations, retrying while the database is
/// unreachable, for at most `timeout`. Throws store_error at the end.
void prepare_store(const store_factory& open,
                   std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds{100};
  for (;;) {
    try {
      open()->migrate();
      return;
    } catch (const store_error& e) {
      if (e.kind() != store_failure::unavailable
          || std::chrono::steady_clock::now() + pause > deadline)
        throw;
      spdlog::warn("store not reachable yet ({}); retrying", e.what());
      std::this_thread::sleep_for(pause); // start-up only, before serving
      pause = std::min(pause * 2, std::chrono::milliseconds{2000});
    }
  }
}

/// This machine's host name ("localhost" when it has none).
std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0')
    return "localhost";
  return buf;
}

/// A node id for a node that was given none: the host name (cut to what
/// ids allow) and six random hex digits, so that two processes on one
/// machine differ.
std::string generated_node_id() {
  std::string id;
  for (char c : host_name())
    if (id.size() < 56
        && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'
            || c == '_'))
      id += c;
  if (id.empty())
    id = "node";
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "-%06x", rd() & 0xffffffu);
  return id + suffix;
}

} // namespace

struct node::impl {
  config::settings settings;
  std::shared_ptr<node_metrics> metrics = std::make_shared<node_metrics>();
  router routes;
  actor_config actor_cfg;
  std::unique_ptr<server> srv;
  std::unique_ptr<caf::actor_system> system;
  persistence_actor persistence;
  directory_actor directory;
  /// Cluster mode only: the cluster actor, the published directory's port
  /// and what /readyz shows.
  cluster_actor cluster_node;
  std::uint16_t cluster_port = 0;
  std::shared_ptr<cluster_board> cluster_info;
  std::shared_ptr<session_env> sessions = std::make_shared<session_env>();
  /// Session actors alive; the last to end wakes the shutdown.
  live_count live_sessions;
  std::unique_ptr<store_pool> pool;
  // Password hashing and mail have workers of their own: a login flood or
  // a slow mail server must not stall upgrades and REST on `pool`.
  std::unique_ptr<store_pool> password_pool;
  std::unique_ptr<mail_worker> mail_pool;
  std::shared_ptr<api_context> api;
  std::unique_ptr<metrics_listener> metrics_port;
  /// The one timer for every session's deadlines.
  session_ticker_actor ticker;
  /// The admin actor and the admin port in front of it (docs/admin.md).
  admin_actor admin;
  std::unique_ptr<admin_listener> admin_port;
  /// What `nodes` shows for this node: its id, and its address (the
  /// advertised cluster address, or the public port once it listens).
  std::string node_id;
  std::string cluster_address;
  std::atomic<std::uint16_t> public_port{0};
  /// Deletes expired sessions, refresh tokens and codes now and then.
  caf::actor purger;
  std::unique_ptr<upgrade_auth> upgrades;
  /// Push (off when push.fcm_credentials is empty): the FCM sender, the
  /// dispatcher rooms hand committed messages to, and its own store workers
  /// (device tokens and rosters), so a push burst never queues REST's jobs.
  std::shared_ptr<fcm_sender> push_sender;
  std::unique_ptr<store_pool> push_pool;
  push_dispatcher_actor push;
  std::shared_ptr<push_metrics> push_stats;
  /// Gives free heap pages back now and then (server.memory_trim_s).
  std::unique_ptr<memory_trimmer> trimmer;
  /// The stop of everything started, registered right after its start.
  stop_stack stops;

  explicit impl(const config::settings& s)
    : settings(s) {
    try {
      start();
    } catch (...) {
      stops.run_all(); // what did start stops again, in reverse
      throw;
    }
  }

  ~impl() {
    stops.run_all();
  }

  void start() {
    const auto& s = settings;
    auto open_store = make_store_factory(s.store.kind, s.store.sqlite_path,
                                         s.store.mysql_url);
    prepare_store(open_store,
                  std::chrono::milliseconds{s.store.connect_timeout_ms});
    spdlog::info("store ready: {}", s.store.kind == "sqlite"
                                      ? s.store.sqlite_path
                                      : std::string{"mysql"});
    start_memory_trim();
    start_server();
    start_actor_system();
    start_mail_workers();
    start_persistence(open_store);
    start_push(open_store);
    start_directory();
    start_cluster();
    start_admin();
    start_store_pool(open_store);
    start_password_workers(open_store);
    start_api();
    start_purger();
    start_metrics_port();
  }

  /// The public port's object (it listens in run()). Connections and
  /// session actors use its context until the very end: its stop, the
  /// destruction, is registered first and so runs last.
  void start_server() {
    upgrade_table table;
    table.add(message_endpoint());
    table.add(events_endpoint(stream_deps()));
    table.add(stomp_endpoint());
    srv = std::make_unique<server>(
      to_server_settings(settings), std::move(table),
      [this](http_request&& req, const request_meta& meta,
             http_responder respond) {
        routes.dispatch(std::move(req), meta, std::move(respond));
      });
    stops.push("public port", [this] { srv.reset(); });
  }

  /// `/message`: raw JSON over WebSocket, no subprotocol, the upgrade's
  /// token checked by `upgrades`.
  upgrade_entry message_endpoint() {
    upgrade_entry e;
    e.path = "/message";
    e.transport = transport_kind::websocket;
    e.protocol.name = "raw-json";
    // The protocols refer to the limits: one copy at a stable address that
    // every copy of this factory shares (the server outlives connections).
    auto codec = std::make_shared<const codec_limits>(
      to_server_settings(settings).ws.codec);
    e.protocol.make_protocol
      = [codec] { return std::make_unique<raw_json_protocol>(*codec); };
    e.protocol.make_session
      = [this](client_link_ptr link, session_identity id) {
          return spawn_session(std::move(link), std::move(id));
        };
    e.authenticate = [this](const http_request& req, const request_meta&,
                            std::function<void(ws_auth)> done) {
      upgrades->check(req, std::move(done));
    };
    return e;
  }

  /// `/chat/room/{roomId}/events`: SSE, one room per stream, the token
  /// checked as for `/message`, the room in the store.
  stream_wiring stream_deps() {
    stream_wiring w;
    w.limits = std::make_shared<const codec_limits>(
      to_server_settings(settings).ws.codec);
    w.make_session = [this](client_link_ptr link, session_identity id) {
      return spawn_session(std::move(link), std::move(id));
    };
    w.check_token
      = [this](const http_request& req, std::function<void(ws_auth)> done) {
          upgrades->check(req, std::move(done));
        };
    w.store = [this]() -> store_runner& { return *pool; };
    return w;
  }

  /// POST /chat/room/{roomId}/message: straight to the room, no session.
  void add_http_send() {
    auto deps = std::make_shared<send_route_deps>();
    deps->limits = to_server_settings(settings).ws.codec;
    deps->authenticate
      = [this](const http_request& req, std::function<void(ws_auth)> done) {
          upgrades->check(req, std::move(done));
        };
    // As a session waits for its publishes.
    auto timeout = sessions->publish_timeout;
    deps->post
      = [this, timeout](const std::string& room_id, publish_request req,
                        std::function<void(caf::expected<publish_ack>)> done) {
          ask<publish_ack>(*system, directory, timeout, std::move(done),
                           post_atom_v, room_id, std::move(req));
        };
    // The per-connection bucket's rate and burst, per member.
    const auto& l = settings.limits;
    deps->rate = std::make_shared<window_limiter>(
      l.message_burst,
      std::max<std::int64_t>(1, 1000LL * l.message_burst
                                  / std::max(1, l.messages_per_second)),
      static_cast<std::size_t>(l.rate_limit_keys));
    deps->now_ms = wall_clock_ms;
    add_send_route(routes, std::move(deps));
  }

  /// `/ws`: STOMP over WebSocket (subprotocols v12/v11/v10.stomp or
  /// none). The upgrade needs no token: CONNECT carries it, checked by
  /// `upgrades` as /message's upgrade is.
  upgrade_entry stomp_endpoint() {
    upgrade_entry e;
    e.path = "/ws";
    e.transport = transport_kind::websocket;
    e.protocol.name = "stomp";
    auto stomp = std::make_shared<const stomp_settings>(
      to_stomp_settings(settings, std::string{"h2h/"} + H2H_VERSION));
    e.protocol.make_protocol
      = [stomp] { return std::make_unique<stomp_protocol>(*stomp); };
    e.protocol.make_session
      = [this](client_link_ptr link, session_identity id) {
          return spawn_session(std::move(link), std::move(id));
        };
    e.subprotocols = {"v12.stomp", "v11.stomp", "v10.stomp"};
    e.authenticate_connect = [this](const std::string& token,
                                    std::function<void(ws_auth)> done) {
      // The same check as an upgrade's, on the CONNECT frame's token.
      http_request req{boost::beast::http::verb::get, "/ws", 11};
      if (!token.empty())
        req.set(boost::beast::http::field::authorization, "Bearer " + token);
      upgrades->check(req, std::move(done));
    };
    e.connect_timeout
      = std::chrono::milliseconds{settings.stomp.connect_timeout_ms};
    return e;
  }

  session_actor spawn_session(client_link_ptr link, session_identity id) {
    auto actor = system->spawn(session, std::move(link), directory,
                               std::move(id), sessions);
    live_sessions.add();
    actor->attach_functor([this] { live_sessions.remove(); });
    return actor;
  }

  void start_actor_system() {
    actor_cfg.set("scheduler.max-threads", scheduler_threads(settings));
    actor_cfg.set("scheduler.policy",
                  settings.actors.scheduler_policy == "stealing"
                    ? caf::atom("stealing")
                    : caf::atom("sharing"));
    actor_cfg.set("logger.verbosity", caf::atom("quiet"));
    if (settings.cluster.enabled) {
      // Remote actors between nodes. Heartbeats and a connection timeout
      // make a hung peer (not only a dead one) end its connection.
      const auto& c = settings.cluster;
      actor_cfg.load<caf::io::middleman>();
      actor_cfg.set("middleman.heartbeat-interval",
                    caf::timespan{std::chrono::milliseconds{c.heartbeat_ms}});
      actor_cfg.set(
        "middleman.connection-timeout",
        caf::timespan{std::chrono::milliseconds{c.connect_timeout_ms}});
      actor_cfg.set("middleman.enable-automatic-connections", false);
      if (cluster_tls_enabled(c)) {
        auto problem = check_cluster_tls_files(c);
        if (!problem.empty())
          throw std::runtime_error(problem);
        load_cluster_tls(actor_cfg, c);
      }
    }
    system = std::make_unique<caf::actor_system>(actor_cfg);
    // Waits for every actor to end.
    stops.push("actor system", [this] { system.reset(); });
  }

  /// Mail has its own pool. It stops after the persistence flush (a
  /// running mail can hang for up to smtp.timeout_ms), before `api` dies
  /// (its jobs use it).
  void start_mail_workers() {
    mail_pool = std::make_unique<mail_worker>(
      static_cast<std::size_t>(settings.smtp.workers),
      static_cast<std::size_t>(settings.smtp.queue_max), "h2h-mail");
    stops.push("mail workers", [this] { mail_pool->stop(); });
  }

  void start_persistence(const store_factory& open_store) {
    auto pcfg = to_persistence_settings(settings);
    pcfg.metrics = metrics;
    persistence = system->spawn(h2h::persistence, open_store, pcfg);
    stops.push("persistence", [this] { stop_persistence(); });
  }

  /// Commits everything queued (bounded), then ends the actor.
  void stop_persistence() {
    auto budget
      = std::chrono::milliseconds{settings.server.shutdown_timeout_ms};
    caf::scoped_actor self{*system};
    bool flushed = false;
    self->request(persistence, budget, flush_atom_v)
      .receive([&](bool ok) { flushed = ok; },
               [&](caf::error& err) {
                 spdlog::error("flush at shutdown failed: {}",
                               system->render(err));
               });
    if (flushed)
      spdlog::info("persistence flushed");
    else
      spdlog::error("{} message(s) could not be committed before exit",
                    metrics->persist_queue.load());
    self->send_exit(persistence, caf::exit_reason::user_shutdown);
    persistence = nullptr;
  }

  /// Push notifications (DESIGN.md §5): the sender, the store workers and
  /// the dispatcher, stopped in reverse order after the rooms stopped.
  void start_push(const store_factory& open_store) {
    const auto& p = settings.push;
    if (p.fcm_credentials.empty())
      return;
    auto check = load_service_account(p.fcm_credentials);
    if (!check.problems.empty())
      throw std::runtime_error("push.fcm_credentials: " + check.problems[0]);
    fcm_settings fs;
    fs.endpoint = p.fcm_endpoint;
    fs.token_uri = p.fcm_token_uri;
    fs.ttl_s = p.ttl_s;
    fs.max_in_flight = static_cast<std::size_t>(p.max_in_flight);
    fs.max_waiting = static_cast<std::size_t>(p.queue_max);
    fs.timeout = std::chrono::milliseconds{p.timeout_ms};
    fs.now_ms = wall_clock_ms;
    push_sender = std::make_shared<fcm_sender>(std::move(check.account), fs);
    stops.push("push sender", [this] { push_sender->stop(); });
    push_pool = std::make_unique<store_pool>(
      open_store, 2, static_cast<std::size_t>(p.queue_max), "h2h-push");
    stops.push("push store workers", [this] { push_pool->stop(); });
    push_dispatch_settings ds;
    ds.coalesce = std::chrono::milliseconds{p.coalesce_ms};
    ds.queue_max = static_cast<std::size_t>(p.queue_max);
    ds.max_in_flight = static_cast<std::size_t>(p.max_in_flight);
    ds.max_retries = p.max_retries;
    ds.backoff.base = std::chrono::milliseconds{p.backoff_ms};
    ds.backoff.cap = std::chrono::milliseconds{p.backoff_max_ms};
    push_stats = std::make_shared<push_metrics>();
    push
      = system->spawn(push_dispatcher, ds,
                      std::static_pointer_cast<h2h::push_sender>(push_sender),
                      make_store_devices(*push_pool), push_stats);
    stops.push("push dispatcher", [this] {
      caf::anon_send_exit(push, caf::exit_reason::user_shutdown);
      push = nullptr;
    });
    spdlog::info("push: on, FCM at {} (coalescing {} ms, {} in flight)",
                 p.fcm_endpoint, p.coalesce_ms, p.max_in_flight);
  }

  void start_directory() {
    const auto& s = settings;
    auto env = std::make_shared<room_env>();
    env->idle_timeout = std::chrono::milliseconds{s.rooms.idle_timeout_ms};
    env->replay_ring = static_cast<std::size_t>(s.rooms.replay_ring);
    env->dedupe_window = static_cast<std::size_t>(s.rooms.dedupe_window);
    env->read_timeout = std::chrono::milliseconds{s.rooms.read_timeout_ms};
    env->replay_hold_bytes = s.rooms.replay_hold_bytes;
    env->now_ms = wall_clock_ms;
    env->metrics = metrics;
    env->persistence = persistence;
    env->push = push;
    env->create_on_enter = s.rooms.create_on_enter;
    env->rooms_created_per_hour
      = static_cast<std::size_t>(s.limits.rooms_created_per_hour);
    directory = system->spawn(room_directory, env);
    stops.push("room directory", [this] {
      caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
      directory = nullptr;
    });
    sessions->metrics = metrics;
    // A room may load and then replay, or load, get a creation permit and
    // be created (one read_timeout each) before it answers an ENTER: the
    // session waits for that, plus the trip.
    sessions->request_timeout = 3 * env->read_timeout + std::chrono::seconds{5};
    sessions->message_rate = s.limits.messages_per_second;
    sessions->message_burst = s.limits.message_burst;
    sessions->rooms_per_session
      = static_cast<std::size_t>(s.limits.rooms_per_session);
    // Sessions stop before it ("sessions" below runs first). The handle
    // stays in `sessions`: a session that outlived the wait for sessions
    // may still read it, and a stopped ticker drops its asks.
    ticker = system->spawn(session_ticker, sessions->deadline_tick);
    sessions->ticker = ticker;
    stops.push("session ticker", [this] {
      caf::anon_send_exit(ticker, caf::exit_reason::user_shutdown);
    });
  }

  /// Cluster mode: publishes the directory (this node's cluster entry) on
  /// the cluster port, bound to the advertised address only, and starts the
  /// cluster actor, which registers the node in Redis and connects to the
  /// others. Its stop withdraws the node before the directory stops.
  void start_cluster() {
    const auto& c = settings.cluster;
    if (!c.enabled)
      return;
    node_record me;
    me.id = c.node_id.empty() ? generated_node_id() : c.node_id;
    me.host = c.advertise_host.empty() ? host_name() : c.advertise_host;
    me.public_port = settings.server.port;
    me.metrics_port = settings.metrics.port;
    me.started_ms = wall_clock_ms();
    auto tls = cluster_tls_enabled(c);
    auto published = tls ? publish_cluster_tls(directory, c.port, me.host)
                         : system->middleman().publish(directory, c.port,
                                                       me.host.c_str(), true);
    if (!published)
      throw std::runtime_error("cannot listen on cluster port " + me.host + ":"
                               + std::to_string(c.port) + ": "
                               + system->render(published.error()));
    cluster_port = *published;
    me.cluster_port = cluster_port;
    cluster_address = me.host + ":" + std::to_string(cluster_port);
    spdlog::info("cluster listening on {}:{} as node {} ({})", me.host,
                 cluster_port, me.id,
                 tls ? "TLS, peers need a certificate of " + c.tls_ca
                     : std::string{"plain: for a private network only"});
    stops.push("cluster port", [this] {
      system->middleman().unpublish(directory, cluster_port);
    });
    cluster_settings cs;
    cs.self = me;
    cs.heartbeat = std::chrono::milliseconds{c.heartbeat_ms};
    cs.node_ttl = std::chrono::milliseconds{c.node_ttl_ms};
    cs.connect_timeout = std::chrono::milliseconds{c.connect_timeout_ms};
    if (tls)
      cs.connector = cluster_tls_connector(*system);
    cs.dial_delay = std::clamp(cs.heartbeat / 4, std::chrono::milliseconds{50},
                               std::chrono::milliseconds{250});
    redis_settings rs;
    rs.url = settings.redis.url;
    rs.key_prefix = settings.redis.key_prefix;
    rs.timeout = std::chrono::milliseconds{settings.redis.timeout_ms};
    registry_factory make;
    make.registry = [rs] { return make_redis_registry(rs); };
    make.watch = [rs] { return make_redis_watch(rs); };
    cluster_info = std::make_shared<cluster_board>();
    cluster_info->node_id = me.id;
    cluster_node
      = system->spawn(h2h::cluster, cs, make, directory, cluster_info);
    stops.push("cluster", [this] {
      caf::anon_send_exit(cluster_node, caf::exit_reason::user_shutdown);
      cluster_node = nullptr;
    });
    // A drain (SIGTERM, the admin's `drain`) hands the rooms over first:
    // the node stops owning rooms while it still serves its last
    // connections, through relays to the new owners. The hook runs on an
    // I/O thread while the server runs; the stop above runs after it.
    srv->on_drain([this] {
      if (cluster_node)
        caf::anon_send(cluster_node, caf::leave_atom_v);
    });
  }

  /// The admin actor (it announces itself to the directory, which hands it
  /// the cluster view and peers' requests) and the admin port's object (it
  /// listens in run()). Sessions announce themselves to the admin actor.
  void start_admin() {
    const auto& s = settings;
    node_id = cluster_info                ? cluster_info->node_id
              : s.cluster.node_id.empty() ? host_name()
                                          : s.cluster.node_id;
    admin_settings as;
    as.node_id = node_id;
    as.address = [this] {
      if (cluster_info)
        return cluster_address;
      return settings.server.bind + ":"
             + std::to_string(public_port.load(std::memory_order_relaxed));
    };
    as.started_ms = wall_clock_ms();
    as.node_timeout = std::chrono::milliseconds{s.admin.node_timeout_ms};
    as.max_message_chars = s.limits.max_message_chars;
    as.directory = directory;
    as.metrics = metrics;
    as.now_ms = wall_clock_ms;
    as.counters = [this] {
      const auto& n = srv->counters();
      return std::vector<std::pair<std::string, std::int64_t>>{
        {"connections_open", static_cast<std::int64_t>(srv->connections())},
        {"sessions_live", static_cast<std::int64_t>(live_sessions.size())},
        {"net_frames_in", static_cast<std::int64_t>(n.frames_in.load())},
        {"net_frames_out", static_cast<std::int64_t>(n.frames_out.load())},
        {"push_sent",
         push_stats ? static_cast<std::int64_t>(push_stats->sent.load()) : 0},
        {"push_queue", push_stats ? push_stats->queue_length.load() : 0}};
    };
    as.set_log_level = [](const std::string& level) {
      // Said first: at "error" the line would not be shown afterwards.
      spdlog::warn("log level changes to {} (admin)", level);
      spdlog::set_level(spdlog::level::from_str(level));
    };
    as.drain = [this] {
      spdlog::warn("drain asked on the admin port: stopping gracefully");
      srv->stop();
    };
    // Upgrades read a member's blocks again once they changed (the upgrade
    // checks start with the API, after this actor, and stop before it).
    as.blocks_changed = [this](std::int64_t member) {
      if (auto* u = upgrades.get())
        u->blocks_changed(member);
    };
    admin = spawn_admin(*system, std::move(as));
    sessions->admin = admin;
    stops.push("admin actor", [this] {
      sessions->admin = nullptr;
      caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
      admin = nullptr;
    });
    auto ls = admin_settings_from(s);
    ls.node_id = node_id;
    ls.now_ms = wall_clock_ms;
    // The listener's thread asks the admin actor and returns at once; the
    // answer comes back on an actor thread. The port's own timeout is
    // longer than the admin actor's wait for the slowest node.
    auto timeout = ls.timeout;
    admin_port = std::make_unique<admin_listener>(
      std::move(ls), [this, timeout](admin_request req, admin_reply_fn reply) {
        // Reports live in the store: a store worker answers, not an actor.
        if (req.command == "reports")
          return answer_reports(*pool, req, std::move(reply));
        ask<admin_reply>(
          *system, admin, timeout,
          [reply](caf::expected<admin_reply> r) {
            if (r) {
              reply(std::move(*r));
              return;
            }
            admin_reply failed;
            failed.error = "ADMIN_UNAVAILABLE";
            failed.message = "the node did not answer: " + to_string(r.error());
            reply(std::move(failed));
          },
          admin_atom_v, std::move(req));
      });
  }

  /// REST jobs tell rooms about changes: the pools stop (waiting for
  /// running jobs, short ones) while the directory lives.
  void start_store_pool(const store_factory& open_store) {
    pool = std::make_unique<store_pool>(open_store, 4);
    stops.push("store pool", [this] { pool->stop(); });
  }

  void start_password_workers(const store_factory& open_store) {
    const auto& a = settings.auth;
    password_pool = std::make_unique<store_pool>(
      open_store, static_cast<std::size_t>(a.password_workers),
      static_cast<std::size_t>(a.password_queue_max), "h2h-password");
    stops.push("password workers", [this] { password_pool->stop(); });
  }

  /// The REST API, the upgrade's token checks, the routes and the chat page.
  void start_api() {
    const auto& s = settings;
    api = std::make_shared<api_context>(to_api_settings(s));
    api->now_ms = wall_clock_ms;
    api->store_jobs = pool.get();
    api->password_jobs = password_pool.get();
    api->reserve_mail = [this] { return mail_pool->reserve(); };
    api->end_session = [this](const std::string& session_id) {
      upgrades->session_ended(session_id);
      srv->end_session(session_id);
    };
    api->end_member = [this](std::int64_t member) { kick_everywhere(member); };
    upgrades = std::make_unique<upgrade_auth>(
      api, *pool, static_cast<std::size_t>(s.auth.session_cache_max),
      s.auth.session_cache_ms);
    smtp_settings mail;
    mail.url = s.smtp.url;
    mail.from = s.smtp.from;
    mail.timeout = std::chrono::milliseconds{s.smtp.timeout_ms};
    api->mail = make_mailer(mail);
    api->notify_rooms = [this](const room_change& change) {
      caf::anon_send(directory, change_atom_v, change);
    };
    // A block or unblock is answered once every node's sessions of the
    // member were told (or the admin actor's wait per node ran out).
    api->blocks_changed
      = [this](std::int64_t member, std::vector<std::int64_t> blocked,
               std::function<void()> done) {
          auto wait = std::chrono::milliseconds{settings.admin.node_timeout_ms}
                      + std::chrono::milliseconds{1000};
          ask<admin_reply>(
            *system, admin, wait,
            [done](caf::expected<admin_reply> r) {
              if (!r || !r->error.empty())
                spdlog::warn("blocks: the sessions may not know yet: {}",
                             r ? r->message : to_string(r.error()));
              done();
            },
            admin_atom_v, admin::blocks_request(member, blocked));
        };
    add_api_routes(routes, api);
    add_chat_page(routes, s.web);
    add_http_send();
  }

  /// Ends every session of `member` on every node: the admin actor's
  /// cluster-wide kick (a deleted account). Returns at once.
  void kick_everywhere(std::int64_t member) {
    admin_request req;
    req.command = "kick";
    req.member = member;
    ask<admin_reply>(
      *system, admin, std::chrono::milliseconds{settings.admin.timeout_ms},
      [member](caf::expected<admin_reply> r) {
        if (!r || !r->error.empty())
          spdlog::warn("sessions of deleted member {} not all ended: {}",
                       member, r ? r->message : to_string(r.error()));
      },
      admin_atom_v, std::move(req));
  }

  /// Purges expired account rows every auth.purge_interval_s on the store
  /// pool, a batch at a time. It submits jobs to `pool`: it ends first.
  void start_purger() {
    const auto& s = settings;
    periodic_settings p;
    p.interval = std::chrono::seconds{s.auth.purge_interval_s};
    p.first_delay = std::min(p.interval, std::chrono::milliseconds{60000});
    p.name = "account purge";
    auto batch = static_cast<std::size_t>(s.auth.purge_batch);
    purger = system->spawn(
      periodic_job, p, periodic_task{[this, batch](auto done) {
        auto cut = purge_cutoffs_at(wall_clock_ms(), api->cfg, batch);
        std::function<bool(store&)> work
          = [cut](store& db) { return purge_accounts(db, cut); };
        std::function<void(store_result<bool>)> purged
          = [done](store_result<bool> r) {
              if (!r)
                spdlog::warn("account purge: {}", r.error().detail);
              done(r && *r);
            };
        pool->run(std::move(work), std::move(purged));
      }});
    stops.push("account purge", [this] {
      caf::anon_send_exit(purger, caf::exit_reason::user_shutdown);
      purger = nullptr;
    });
  }

  /// The ops routes and the metrics port's object (it listens in run()).
  void start_metrics_port() {
    ops_sources ops;
    ops.draining = [this] { return srv->draining(); };
    ops.actors = metrics;
    ops.network = &srv->counters();
    ops.open_connections = [this] { return srv->connections(); };
    ops.check_store = [this](std::function<void(bool)> done) {
      ask<bool>(
        *system, persistence, std::chrono::seconds{2},
        [done](caf::expected<bool> ok) { done(ok && *ok); }, ping_atom_v);
    };
    ops.push = push_stats;
    if (cluster_info)
      ops.cluster = [info = cluster_info] {
        return std::optional<ops_sources::cluster_status>{
          ops_sources::cluster_status{
            info->node_id, info->nodes.load(std::memory_order_relaxed),
            info->registry_ok.load(std::memory_order_relaxed)}};
      };
    metrics_port = std::make_unique<metrics_listener>(
      to_metrics_settings(settings), [src = std::make_shared<const ops_sources>(
                                        ops)] { return metrics_text(*src); });
    add_ops_routes(routes, std::move(ops));
  }

  void start_memory_trim() {
    if (settings.server.memory_trim_s <= 0)
      return;
    trimmer = std::make_unique<memory_trimmer>(
      std::chrono::seconds{settings.server.memory_trim_s});
    stops.push("memory trim", [this] { trimmer.reset(); });
  }

  /// Once the public port listens, sessions come and go; at shutdown the
  /// stop waits (bounded) for the last one to end, so that rooms see them
  /// leave before the rooms stop.
  void sessions_started() {
    stops.push("sessions", [this] {
      auto budget
        = std::chrono::milliseconds{settings.server.shutdown_timeout_ms};
      if (!live_sessions.wait_zero(budget))
        spdlog::warn("{} session(s) still running after {} ms",
                     live_sessions.size(), budget.count());
    });
  }
};

node::node(const config::settings& settings)
  : impl_(std::make_unique<impl>(settings)) {
}

node::~node() = default;

int node::run(const std::function<void(std::uint16_t)>& on_listening,
              const std::function<void(std::uint16_t)>& on_metrics_listening,
              const std::function<void(std::uint16_t)>& on_admin_listening) {
  std::uint16_t metrics_port = 0;
  try {
    metrics_port = impl_->metrics_port->listen();
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}:{} (metrics): {}",
                  impl_->settings.metrics.bind, impl_->settings.metrics.port,
                  e.what());
    return 1;
  }
  impl_->metrics_port->start();
  // Scrapes read the server's counters: the server object outlives this.
  impl_->stops.push("metrics port", [this] { impl_->metrics_port->stop(); });
  spdlog::info("metrics listening on {}:{}", impl_->settings.metrics.bind,
               metrics_port);
  if (on_metrics_listening)
    on_metrics_listening(metrics_port);
  std::uint16_t admin_port = 0;
  try {
    admin_port = impl_->admin_port->listen();
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}:{} (admin): {}",
                  impl_->settings.admin.bind, impl_->settings.admin.port,
                  e.what());
    return 1;
  }
  impl_->admin_port->start();
  // Answers may arrive from actor threads until the listener has stopped;
  // it stops before the actors it asks.
  impl_->stops.push("admin port", [this] { impl_->admin_port->stop(); });
  if (on_admin_listening)
    on_admin_listening(admin_port);
  std::uint16_t port = 0;
  try {
    port = impl_->srv->listen();
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}:{}: {}", impl_->settings.server.bind,
                  impl_->settings.server.port, e.what());
    return 1;
  }
  impl_->public_port.store(port, std::memory_order_relaxed);
  impl_->sessions_started();
  spdlog::info("listening on {}:{}", impl_->settings.server.bind, port);
  if (on_listening)
    on_listening(port);
  impl_->srv->run();
  spdlog::info("public port closed; stopping");
  return 0;
}

} // namespace h2h::net
