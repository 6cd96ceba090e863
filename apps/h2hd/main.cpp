// h2hd: the h2h server. Parses the configuration and runs one node.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "config/cluster_settings.hpp"
#include "config/keys.hpp"
#include "config/loader.hpp"
#include "config/log.hpp"
#include "config/redis_url.hpp"
#include "h2h_version.hpp"
#include "apps/h2hd/node.hpp"
#include "net/outbound/service_account.hpp"

int main(int argc, char** argv) {
  using namespace h2h;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cfg = config::load(args, config::process_env());
  if (cfg.show_help) {
    std::cout << config::help_text("h2hd");
    return 0;
  }
  if (cfg.show_version) {
    std::cout << "h2hd " << H2H_VERSION << '\n';
    return 0;
  }
  if (cfg.print_example) {
    std::cout << config::example_file_text();
    return 0;
  }
  // The FCM credentials file is read and its key parsed now, so that its
  // problems are listed with every other one.
  if (!cfg.values.push.fcm_credentials.empty())
    for (auto& p :
         net::load_service_account(cfg.values.push.fcm_credentials).problems)
      cfg.errors.push_back("push.fcm_credentials: " + p);
  if (!cfg.errors.empty()) {
    std::cerr << "h2hd: invalid configuration (" << cfg.errors.size()
              << " problem" << (cfg.errors.size() == 1 ? "" : "s") << "):\n";
    for (auto& e : cfg.errors)
      std::cerr << "  - " << e << '\n';
    std::cerr << "Run 'h2hd --help' for every setting.\n";
    return 2;
  }
  if (cfg.check_only) {
    for (auto& k : config::all_keys()) {
      std::cout << k.name() << " = " << k.shown(cfg.values) << '\n';
    }
    std::cout << "configuration OK\n";
    return 0;
  }
  if (cfg.values.cluster.enabled)
    config::resolve_cluster_identity(cfg.values.cluster,
                                     config::local_host_name(),
                                     static_cast<unsigned>(::getpid()));
  config::init_logging(cfg.values.log.level);
  spdlog::info("h2hd {} starting{}{}", H2H_VERSION,
               cfg.config_file.empty() ? "" : " with ", cfg.config_file);
  const auto& v = cfg.values;
  spdlog::info("config: server {}:{} ({} io thread(s)), store {} ({}), "
               "batches of {} / {} ms, room idle {} ms, frame limit {} B, "
               "message limit {} chars, outbound queue {} B",
               v.server.bind, v.server.port, v.server.io_threads, v.store.kind,
               v.store.kind == "sqlite" ? v.store.sqlite_path : "mysql",
               v.persistence.batch_max, v.persistence.batch_window_ms,
               v.rooms.idle_timeout_ms, v.limits.max_frame_bytes,
               v.limits.max_message_chars, v.limits.outbound_queue_bytes);
  if (v.cluster.enabled)
    spdlog::info("config: cluster node {} on {}:{}, redis {} (prefix {}), "
                 "heartbeat {} ms, ttl {} ms, peer timeout {} ms",
                 v.cluster.node_id, v.cluster.advertise_host, v.cluster.port,
                 config::redact_url(v.redis.url), v.redis.key_prefix,
                 v.cluster.heartbeat_ms, v.cluster.node_ttl_ms,
                 v.cluster.connect_timeout_ms);
  if (v.push.fcm_credentials.empty())
    spdlog::info("push: off (push.fcm_credentials is not set): no push "
                 "notifications");
  for (auto& w : cfg.warnings)
    spdlog::warn("{}", w);
  int rc = 0;
  try {
    net::node node{v};
    rc = node.run(
      [&](std::uint16_t port) {
        // Scripts and tests read this line to find a port chosen with 0.
        std::printf("listening on %s:%u\n", v.server.bind.c_str(),
                    static_cast<unsigned>(port));
        std::fflush(stdout);
      },
      [&](std::uint16_t port) {
        std::printf("metrics listening on %s:%u\n", v.metrics.bind.c_str(),
                    static_cast<unsigned>(port));
        std::fflush(stdout);
      },
      [&](std::uint16_t port) {
        std::printf("admin listening on %s:%u\n", v.admin.bind.c_str(),
                    static_cast<unsigned>(port));
        std::fflush(stdout);
      });
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }
  spdlog::info("h2hd stopped (exit code {})", rc);
  return rc;
}
