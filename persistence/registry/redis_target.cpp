// The check of the registry's settings: the URL through the loader's own
// parser, so that a URL accepted at start-up is never refused here.
#include "persistence/registry/redis_target.hpp"

namespace h2h {

redis_target check_redis_settings(const redis_settings& cfg) {
  config::redis_target addr;
  std::string why;
  if (!config::parse_redis_url(cfg.url, addr, why))
    throw registry_error("redis url: " + why);
  if (!valid_node_id(cfg.key_prefix))
    throw registry_error("redis key prefix must be 1 to 64 of A-Z a-z 0-9 . _ "
                         "-");
  if (cfg.timeout <= std::chrono::milliseconds::zero())
    throw registry_error("redis timeout must be positive");
  redis_target t{addr, cfg.key_prefix, cfg.timeout, "redis "};
  t.where += addr.host.find(':') == std::string::npos ? addr.host
                                                      : "[" + addr.host + "]";
  t.where += ":" + std::to_string(addr.port);
  if (addr.db != 0)
    t.where += "/" + std::to_string(addr.db);
  return t;
}

} // namespace h2h
