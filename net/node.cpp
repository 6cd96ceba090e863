// One h2h node: the actor system, the room directory and the public port,
// started in order and stopped in reverse.
#include "net/node.hpp"

#include <thread>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/room_directory.hpp"
#include "actors/session_actor.hpp"
#include "actors/types.hpp"
#include "net/json_codec.hpp"
#include "net/ops_routes.hpp"
#include "net/router.hpp"
#include "net/server.hpp"

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
  out.ws.max_frame_bytes = s.limits.max_frame_bytes;
  out.ws.outbound_queue_bytes = s.limits.outbound_queue_bytes;
  out.ws.codec.max_message_chars = s.limits.max_message_chars;
  return out;
}

std::size_t scheduler_threads(const config::settings& s) {
  if (s.actors.scheduler_threads > 0)
    return static_cast<std::size_t>(s.actors.scheduler_threads);
  auto n = std::thread::hardware_concurrency();
  return n == 0 ? 2 : n;
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
  directory_actor directory;
  session_env sessions;

  explicit impl(const config::settings& s)
    : settings(s) {
    actor_cfg.set("scheduler.max-threads", scheduler_threads(s));
    actor_cfg.set("logger.verbosity", caf::atom("quiet"));
    system = std::make_unique<caf::actor_system>(actor_cfg);
    auto env = std::make_shared<room_env>();
    env->idle_timeout = std::chrono::milliseconds{s.rooms.idle_timeout_ms};
    env->replay_ring = static_cast<std::size_t>(s.rooms.replay_ring);
    env->dedupe_window = static_cast<std::size_t>(s.rooms.dedupe_window);
    env->now_ms = wall_clock_ms;
    env->encode = [](const room_event& ev) {
      return std::make_shared<const std::string>(encode_event(ev));
    };
    env->metrics = metrics;
    directory = system->spawn(room_directory, env);
    sessions.metrics = metrics;
    srv = std::make_unique<server>(
      to_server_settings(s),
      [this](client_link_ptr link, session_identity id) {
        return system->spawn(session, std::move(link), directory, std::move(id),
                             sessions);
      },
      [this](http_request&& req, http_responder respond) {
        routes.dispatch(std::move(req), std::move(respond));
      });
    ops_sources ops;
    ops.draining = [this] {
      return srv->draining();
    };
    ops.actors = metrics;
    ops.network = &srv->counters();
    ops.open_connections = [this] {
      return srv->connections();
    };
    add_ops_routes(routes, std::move(ops));
  }

  ~impl() {
    // Reverse order of start: the directory takes its rooms down with it,
    // then the actor system waits for every actor to finish.
    if (directory) {
      caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
      directory = nullptr;
    }
    system.reset();
  }
};

node::node(const config::settings& settings)
  : impl_(std::make_unique<impl>(settings)) {
}

node::~node() = default;

int node::run(const std::function<void(std::uint16_t)>& on_listening) {
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
  spdlog::info("public port closed; stopping actors");
  return 0;
}

} // namespace h2h::net
