// One h2h node: the actor system, the room directory, the metrics port and
// the public port, started in order and stopped in reverse.
#include "apps/h2hd/node.hpp"

#include <thread>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/store/periodic_job.hpp"
#include "actors/store/persistence_actor.hpp"
#include "actors/chat/room_directory.hpp"
#include "actors/chat/session_actor.hpp"
#include "actors/vocabulary/types.hpp"
#include "actors/store/store_pool.hpp"
#include "net/rest/account_purge.hpp"
#include "config/cidr.hpp"
#include "net/server/actor_bridge.hpp"
#include "net/rest/api.hpp"
#include "net/security/crypto.hpp"
#include "net/protocol/raw_json/json_codec.hpp"
#include "net/server/metrics_listener.hpp"
#include "net/rest/ops_routes.hpp"
#include "net/http/router.hpp"
#include "net/server/server.hpp"
#include "net/security/upgrade_auth.hpp"
#include "persistence/sql/sql_store.hpp"

namespace h2h::net {

namespace {

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

server_settings to_server_settings(const config::settings& s) {
  server_settings out;
  out.bind = s.server.bind;
  out.port = s.server.port;
  out.io_threads = s.server.io_threads;
  out.shutdown_timeout
    = std::chrono::milliseconds{s.server.shutdown_timeout_ms};
  out.max_http_body_bytes = s.limits.max_http_body_bytes;
  out.max_connections = static_cast<std::size_t>(s.limits.max_connections);
  out.connections_per_address
    = static_cast<std::size_t>(s.limits.connections_per_address);
  std::vector<std::string> problems; // validated at start-up already
  out.proxies.proxies
    = config::parse_cidr_list(s.server.trusted_proxies, problems);
  out.proxies.header = s.server.forwarded_header == "forwarded"
                         ? forwarded_from::forwarded
                         : forwarded_from::x_forwarded_for;
  out.ws.max_frame_bytes = s.limits.max_frame_bytes;
  out.ws.outbound_queue_bytes = s.limits.outbound_queue_bytes;
  out.ws.codec.max_message_chars = s.limits.max_message_chars;
  return out;
}

std::size_t scheduler_threads(const config::settings& s) {
  if (s.actors.scheduler_threads > 0)
    return static_cast<std::size_t>(s.actors.scheduler_threads);
  // One core stays for the network threads (measured on 2 cores: 1 worker
  // gave 323k deliveries per CPU-second saturated, 2 workers 290k).
  auto n = std::thread::hardware_concurrency();
  return n <= 2 ? 1 : n - 1;
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

api_settings to_api_settings(const config::settings& s) {
  api_settings a;
  a.auth_required = s.auth.required;
  a.jwt_secret = s.auth.jwt_secret;
  if (a.jwt_secret.empty()) {
    a.jwt_secret = crypto::random_token(32);
    spdlog::warn("auth.jwt_secret is not set: using a random key, so tokens "
                 "die with this process and other nodes cannot check them "
                 "(fine for development only)");
  }
  a.access_ttl_s = s.auth.access_token_ttl_s;
  a.refresh_ttl_s = s.auth.refresh_token_ttl_s;
  a.code_ttl_s = s.auth.code_ttl_s;
  a.code_max_attempts = s.auth.code_max_attempts;
  a.require_verification = s.auth.require_email_verification;
  a.cost.ops = static_cast<unsigned long long>(s.auth.password_ops);
  a.cost.memory_kib = static_cast<std::size_t>(s.auth.password_memory_kib);
  a.login_attempts = s.limits.login_attempts;
  a.login_window_s = s.limits.login_window_s;
  a.code_requests = s.limits.code_requests;
  a.code_window_s = s.limits.code_window_s;
  a.rate_limit_keys = static_cast<std::size_t>(s.limits.rate_limit_keys);
  a.rooms_created_per_hour = s.limits.rooms_created_per_hour;
  return a;
}

metrics_settings to_metrics_settings(const config::settings& s) {
  metrics_settings out;
  out.bind = s.metrics.bind;
  out.port = s.metrics.port;
  return out;
}

persistence_settings to_persistence_settings(const config::settings& s) {
  persistence_settings out;
  out.batch_max = static_cast<std::size_t>(s.persistence.batch_max);
  out.batch_window = std::chrono::milliseconds{s.persistence.batch_window_ms};
  out.read_workers = static_cast<std::size_t>(s.persistence.read_workers);
  out.read_queue_max = static_cast<std::size_t>(s.persistence.read_queue_max);
  out.queue_max = static_cast<std::size_t>(s.persistence.queue_max);
  return out;
}

} // namespace

struct node::impl {
  // Declared first, destroyed last: connections and session actors refer to
  // the server's context until the very end.
  std::unique_ptr<server> srv;
  config::settings settings;
  std::shared_ptr<node_metrics> metrics = std::make_shared<node_metrics>();
  router routes;
  actor_config actor_cfg;
  std::unique_ptr<caf::actor_system> system;
  persistence_actor persistence;
  directory_actor directory;
  std::shared_ptr<session_env> sessions = std::make_shared<session_env>();
  std::unique_ptr<store_pool> pool;
  // Password hashing and mail have workers of their own: a login flood or
  // a slow mail server must not stall upgrades and REST on `pool`.
  std::unique_ptr<store_pool> password_pool;
  std::unique_ptr<store_pool> mail_pool;
  std::shared_ptr<api_context> api;
  // After srv: scrapes read the server's counters, so this stops first.
  std::unique_ptr<metrics_listener> metrics_port;
  /// Deletes expired sessions, refresh tokens and codes now and then.
  caf::actor purger;
  std::unique_ptr<upgrade_auth> upgrades;

  explicit impl(const config::settings& s)
    : settings(s) {
    auto open_store = make_store_factory(s.store.kind, s.store.sqlite_path,
                                         s.store.mysql_url);
    prepare_store(open_store,
                  std::chrono::milliseconds{s.store.connect_timeout_ms});
    spdlog::info("store ready: {}", s.store.kind == "sqlite"
                                      ? s.store.sqlite_path
                                      : std::string{"mysql"});
    actor_cfg.set("scheduler.max-threads", scheduler_threads(s));
    actor_cfg.set("scheduler.policy", s.actors.scheduler_policy == "stealing"
                                        ? caf::atom("stealing")
                                        : caf::atom("sharing"));
    actor_cfg.set("logger.verbosity", caf::atom("quiet"));
    system = std::make_unique<caf::actor_system>(actor_cfg);
    auto pcfg = to_persistence_settings(s);
    pcfg.metrics = metrics;
    persistence = system->spawn(h2h::persistence, open_store, pcfg);
    auto env = std::make_shared<room_env>();
    env->idle_timeout = std::chrono::milliseconds{s.rooms.idle_timeout_ms};
    env->replay_ring = static_cast<std::size_t>(s.rooms.replay_ring);
    env->dedupe_window = static_cast<std::size_t>(s.rooms.dedupe_window);
    env->read_timeout = std::chrono::milliseconds{s.rooms.read_timeout_ms};
    env->replay_hold_bytes = s.rooms.replay_hold_bytes;
    env->now_ms = wall_clock_ms;
    env->encode = [](const room_event& ev) {
      return std::make_shared<const std::string>(encode_event(ev));
    };
    env->metrics = metrics;
    env->persistence = persistence;
    env->create_on_enter = s.rooms.create_on_enter;
    env->rooms_created_per_hour
      = static_cast<std::size_t>(s.limits.rooms_created_per_hour);
    directory = system->spawn(room_directory, env);
    sessions->metrics = metrics;
    // A room may load and then replay, or load, get a creation permit and
    // be created (one read_timeout each) before it answers an ENTER: the
    // session waits for that, plus the trip.
    sessions->request_timeout = 3 * env->read_timeout + std::chrono::seconds{5};
    sessions->message_rate = s.limits.messages_per_second;
    sessions->message_burst = s.limits.message_burst;
    sessions->rooms_per_session
      = static_cast<std::size_t>(s.limits.rooms_per_session);
    pool = std::make_unique<store_pool>(open_store, 4);
    start_auth_workers(open_store);
    api = std::make_shared<api_context>(to_api_settings(s));
    api->now_ms = wall_clock_ms;
    api->run = [this](store_job job, store_job_failed failed) {
      pool->submit(std::move(job), std::move(failed));
    };
    api->run_password = [this](store_job job, store_job_failed failed) {
      return password_pool->try_submit(std::move(job), std::move(failed));
    };
    api->run_mail = [this](store_job job, store_job_failed failed) {
      return mail_pool->try_submit(std::move(job), std::move(failed));
    };
    api->end_session = [this](const std::string& session_id) {
      upgrades->session_ended(session_id);
      srv->end_session(session_id);
    };
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
    start_purger(s);
    srv = std::make_unique<server>(
      to_server_settings(s),
      [this](client_link_ptr link, session_identity id) {
        return system->spawn(session, std::move(link), directory, std::move(id),
                             sessions);
      },
      [this](http_request&& req, const request_meta& meta,
             http_responder respond) {
        routes.dispatch(std::move(req), meta, std::move(respond));
      },
      [this](const http_request& req, const request_meta&,
             std::function<void(ws_auth)> done) {
        upgrades->check(req, std::move(done));
      });
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
    metrics_port = std::make_unique<metrics_listener>(
      to_metrics_settings(s), [src = std::make_shared<const ops_sources>(ops)] {
        return metrics_text(*src);
      });
    add_ops_routes(routes, std::move(ops));
    add_api_routes(routes, api);
  }

  /// Purges expired account rows every auth.purge_interval_s on the store
  /// pool, a batch at a time.
  void start_purger(const config::settings& s) {
    periodic_settings p;
    p.interval = std::chrono::seconds{s.auth.purge_interval_s};
    p.first_delay = std::min(p.interval, std::chrono::milliseconds{60000});
    p.name = "account purge";
    auto batch = static_cast<std::size_t>(s.auth.purge_batch);
    purger = system->spawn(
      periodic_job, p, periodic_task{[this, batch](auto done) {
        auto cut = purge_cutoffs_at(wall_clock_ms(), api->cfg, batch);
        pool->submit([cut, done](store& db) { done(purge_accounts(db, cut)); },
                     [done](const store_error& e) {
                       spdlog::warn("account purge: {}", e.what());
                       done(false);
                     });
      }});
  }

  /// The pools of password hashing and of mail, apart from `pool`.
  void start_auth_workers(const store_factory& open_store) {
    const auto& a = settings.auth;
    password_pool = std::make_unique<store_pool>(
      open_store, static_cast<std::size_t>(a.password_workers),
      static_cast<std::size_t>(a.password_queue_max), "h2h-password");
    mail_pool = std::make_unique<store_pool>(
      open_store, static_cast<std::size_t>(settings.smtp.workers),
      static_cast<std::size_t>(settings.smtp.queue_max), "h2h-mail");
  }

  /// Waits (bounded) until `done()` holds; only used while shutting down.
  template <class Pred>
  static bool wait_until(Pred done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline)
        return false;
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    return true;
  }

  /// Stops the actors in reverse order of start: sessions (their rooms see
  /// them leave), rooms, then the persistence actor once everything queued
  /// is committed.
  void stop_actors() {
    auto budget
      = std::chrono::milliseconds{settings.server.shutdown_timeout_ms};
    wait_until([this] { return metrics->sessions_active.load() == 0; }, budget);
    // The purge submits jobs to `pool`: it ends first.
    if (purger) {
      caf::anon_send_exit(purger, caf::exit_reason::user_shutdown);
      purger = nullptr;
    }
    // REST jobs tell rooms about changes: they end while the directory
    // lives. Stopping waits for running jobs (short ones on these pools).
    for (auto* p : {pool.get(), password_pool.get()})
      if (p)
        p->stop();
    if (directory) {
      caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
      directory = nullptr;
    }
    if (persistence) {
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
    // After the flush: a running mail can hang for up to smtp.timeout_ms.
    // Its job uses `api`, so this must end before `api` dies.
    if (mail_pool)
      mail_pool->stop();
  }

  ~impl() {
    stop_actors();
    system.reset();
  }
};

node::node(const config::settings& settings)
  : impl_(std::make_unique<impl>(settings)) {
}

node::~node() = default;

int node::run(const std::function<void(std::uint16_t)>& on_listening,
              const std::function<void(std::uint16_t)>& on_metrics_listening) {
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
  spdlog::info("metrics listening on {}:{}", impl_->settings.metrics.bind,
               metrics_port);
  if (on_metrics_listening)
    on_metrics_listening(metrics_port);
  std::uint16_t port = 0;
  try {
    port = impl_->srv->listen();
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}:{}: {}", impl_->settings.server.bind,
                  impl_->settings.server.port, e.what());
    return 1;
  }
  spdlog::info("listening on {}:{}", impl_->settings.server.bind, port);
  if (on_listening)
    on_listening(port);
  impl_->srv->run();
  impl_->metrics_port->stop();
  spdlog::info("public port closed; stopping actors");
  return 0;
}

} // namespace h2h::net
