// Configuration loading: file, environment and command line, in that order.
#include "config/loader.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "config/admin_settings.hpp"
#include "config/cidr.hpp"
#include "config/cluster_settings.hpp"
#include "config/push_settings.hpp"
#include "config/keys.hpp"
#include "config/mysql_url.hpp"

namespace h2h::config {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty()
         && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
    return s.substr(1, s.size() - 2);
  return s;
}

/// Applies one `section.key = value`; records a problem on failure.
void apply(settings& out, std::string_view name, std::string_view value,
           const std::string& origin, std::vector<std::string>& errors) {
  auto* k = find_key(name);
  if (k == nullptr) {
    errors.push_back(origin + ": unknown key '" + std::string{name} + "'");
    return;
  }
  if (auto problem = k->set(out, value))
    errors.push_back(origin + ": " + k->name() + ": " + *problem);
}

bool read_file(const std::string& path, std::string& text) {
  std::ifstream in{path};
  if (!in)
    return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  text = buf.str();
  return true;
}

// http(s)://host[:port], nothing after it: URLs are appended to it.
bool valid_public_url(const std::string& url) {
  std::string_view rest = url;
  if (rest.substr(0, 8) == "https://")
    rest.remove_prefix(8);
  else if (rest.substr(0, 7) == "http://")
    rest.remove_prefix(7);
  else
    return false;
  if (rest.empty() || rest.size() > 255)
    return false;
  for (auto c : rest) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && c != '.' && c != '-' && c != ':' && c != '['
        && c != ']' && c != '_')
      return false;
  }
  return true;
}

} // namespace

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (auto* v = std::getenv(name.c_str()))
      return std::string{v};
    return std::nullopt;
  };
}

void apply_file_text(settings& out, std::string_view text,
                     const std::string& origin,
                     std::vector<std::string>& errors) {
  std::string section;
  int line_no = 0;
  while (!text.empty()) {
    auto eol = text.find('\n');
    auto line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{}
                                         : text.substr(eol + 1);
    ++line_no;
    auto where = origin + ":" + std::to_string(line_no);
    if (line.empty() || line.front() == '#' || line.front() == ';')
      continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        errors.push_back(where + ": malformed section header");
        continue;
      }
      section = std::string{trim(line.substr(1, line.size() - 2))};
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      errors.push_back(where + ": expected 'key = value'");
      continue;
    }
    auto key = trim(line.substr(0, eq));
    auto value = unquote(trim(line.substr(eq + 1)));
    if (section.empty()) {
      errors.push_back(where + ": key '" + std::string{key}
                       + "' outside of a [section]");
      continue;
    }
    apply(out, section + "." + std::string{key}, value, where, errors);
  }
}

load_result load(const std::vector<std::string>& args, const env_lookup& env) {
  load_result r;
  // Short flags for the settings people change most.
  auto alias = [](std::string_view flag) -> std::string {
    if (flag == "port")
      return "server.port";
    if (flag == "bind")
      return "server.bind";
    if (flag == "log-level")
      return "log.level";
    if (flag == "store")
      return "store.kind";
    return std::string{flag};
  };
  // First pass: flags that are not settings, and the config file.
  std::vector<std::pair<std::string, std::string>> overrides;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      r.show_help = true;
      continue;
    }
    if (arg == "--version") {
      r.show_version = true;
      continue;
    }
    if (arg == "--check-config") {
      r.check_only = true;
      continue;
    }
    if (arg == "--print-example-config") {
      r.print_example = true;
      continue;
    }
    if (arg == "-c") {
      if (i + 1 < args.size())
        r.config_file = args[++i];
      else
        r.errors.push_back("flag '-c' needs a value");
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      r.errors.push_back("unexpected argument '" + arg + "'");
      continue;
    }
    auto body = std::string_view{arg}.substr(2);
    std::string name;
    std::string value;
    auto eq = body.find('=');
    if (eq != std::string_view::npos) {
      name = std::string{body.substr(0, eq)};
      value = std::string{body.substr(eq + 1)};
    } else if (i + 1 < args.size()) {
      name = std::string{body};
      value = args[++i];
    } else {
      r.errors.push_back("flag '" + arg + "' needs a value");
      continue;
    }
    if (name == "config" || name == "c") {
      r.config_file = value;
      continue;
    }
    overrides.emplace_back(alias(name), value);
  }
  if (r.config_file.empty())
    if (auto f = env("H2H_CONFIG"))
      r.config_file = *f;
  if (!r.config_file.empty()) {
    std::string text;
    if (read_file(r.config_file, text))
      apply_file_text(r.values, text, r.config_file, r.errors);
    else
      r.errors.push_back("cannot read config file '" + r.config_file + "'");
  }
  for (auto& k : all_keys())
    if (auto v = env(k.env_name()))
      apply(r.values, k.name(), *v, "environment " + k.env_name(), r.errors);
  for (auto& [name, value] : overrides)
    apply(r.values, name, value, "flag --" + name, r.errors);
  auto semantic = validate(r.values);
  r.errors.insert(r.errors.end(), semantic.begin(), semantic.end());
  return r;
}

std::vector<std::string> validate(const settings& s) {
  std::vector<std::string> errs;
  auto check = [&errs](bool ok, std::string problem) {
    if (!ok)
      errs.push_back(std::move(problem));
  };
  check(!s.server.bind.empty(), "server.bind must not be empty");
  check(s.server.io_threads >= 1 && s.server.io_threads <= 64,
        "server.io_threads must be between 1 and 64");
  check(s.server.memory_trim_s >= 0 && s.server.memory_trim_s <= 86400,
        "server.memory_trim_s must be between 0 and 86400");
  check(s.server.presence_delay_ms >= 0 && s.server.presence_delay_ms <= 1000,
        "server.presence_delay_ms must be between 0 and 1000");
  check(s.server.shutdown_timeout_ms >= 100
          && s.server.shutdown_timeout_ms <= 600000,
        "server.shutdown_timeout_ms must be between 100 and 600000");
  check(s.server.drain_window_ms >= 0 && s.server.drain_window_ms <= 600000,
        "server.drain_window_ms must be between 0 and 600000");
  check(s.server.http_timeout_ms >= 100 && s.server.http_timeout_ms <= 600000,
        "server.http_timeout_ms must be between 100 and 600000");
  check(!s.metrics.bind.empty(), "metrics.bind must not be empty");
  check(s.metrics.port == 0 || s.metrics.port != s.server.port,
        "metrics.port must differ from server.port (metrics are not served "
        "on the public port)");
  {
    std::vector<std::string> problems;
    parse_cidr_list(s.server.trusted_proxies, problems);
    for (auto& p : problems)
      errs.push_back("server.trusted_proxies: " + p);
  }
  check(s.server.forwarded_header == "x-forwarded-for"
          || s.server.forwarded_header == "forwarded",
        "server.forwarded_header must be x-forwarded-for or forwarded");
  check(s.store.kind == "sqlite" || s.store.kind == "mysql",
        "store.kind must be sqlite or mysql, not '" + s.store.kind + "'");
  if (s.store.kind == "sqlite")
    check(!s.store.sqlite_path.empty(),
          "store.sqlite_path must be set when store.kind = sqlite");
  if (s.store.kind == "mysql") {
    mysql_target target;
    std::string problem; // names no password
    if (!parse_mysql_url(s.store.mysql_url, target, problem))
      errs.push_back("store.mysql_url: " + problem
                     + " (mysql://user:password@host:port/database when "
                       "store.kind = mysql)");
  }
  check(s.store.connect_timeout_ms >= 0
          && s.store.connect_timeout_ms <= 3600000,
        "store.connect_timeout_ms must be between 0 and 3600000");
  check(s.persistence.batch_max >= 1 && s.persistence.batch_max <= 100000,
        "persistence.batch_max must be between 1 and 100000");
  check(s.persistence.batch_window_ms >= 0
          && s.persistence.batch_window_ms <= 10000,
        "persistence.batch_window_ms must be between 0 and 10000");
  check(s.persistence.queue_max >= s.persistence.batch_max,
        "persistence.queue_max must be at least persistence.batch_max");
  check(s.persistence.read_workers >= 1 && s.persistence.read_workers <= 64,
        "persistence.read_workers must be between 1 and 64");
  check(s.persistence.read_queue_max >= 1
          && s.persistence.read_queue_max <= 10000000,
        "persistence.read_queue_max must be between 1 and 10000000");
  check(s.actors.scheduler_threads >= 0 && s.actors.scheduler_threads <= 256,
        "actors.scheduler_threads must be between 0 and 256");
  check(s.actors.scheduler_policy == "sharing"
          || s.actors.scheduler_policy == "stealing",
        "actors.scheduler_policy must be sharing or stealing");
  check(s.rooms.idle_timeout_ms >= 10,
        "rooms.idle_timeout_ms must be at least 10");
  check(s.rooms.replay_ring >= 0 && s.rooms.replay_ring <= 1000000,
        "rooms.replay_ring must be between 0 and 1000000");
  check(s.rooms.dedupe_window >= 0 && s.rooms.dedupe_window <= 10000000,
        "rooms.dedupe_window must be between 0 and 10000000");
  check(s.rooms.read_timeout_ms >= 100 && s.rooms.read_timeout_ms <= 600000,
        "rooms.read_timeout_ms must be between 100 and 600000");
  check(s.rooms.replay_hold_bytes <= 1024 * 1024 * 1024,
        "rooms.replay_hold_bytes must be at most 1073741824");
  check(s.stomp.heartbeat_ms >= 0 && s.stomp.heartbeat_ms <= 3600000,
        "stomp.heartbeat_ms must be between 0 and 3600000");
  check(s.stomp.max_frame_bytes >= 1024
          && s.stomp.max_frame_bytes <= 64 * 1024 * 1024,
        "stomp.max_frame_bytes must be between 1024 and 67108864");
  check(s.stomp.max_headers >= 4 && s.stomp.max_headers <= 1024,
        "stomp.max_headers must be between 4 and 1024");
  check(s.stomp.max_header_bytes >= 256
          && s.stomp.max_header_bytes <= 1024 * 1024,
        "stomp.max_header_bytes must be between 256 and 1048576");
  check(s.stomp.connect_timeout_ms >= 100
          && s.stomp.connect_timeout_ms <= 600000,
        "stomp.connect_timeout_ms must be between 100 and 600000");
  check(s.limits.max_frame_bytes >= 256
          && s.limits.max_frame_bytes <= 64 * 1024 * 1024,
        "limits.max_frame_bytes must be between 256 and 67108864");
  check(s.limits.max_message_chars >= 1
          && s.limits.max_message_chars < s.limits.max_frame_bytes,
        "limits.max_message_chars must be at least 1 and below "
        "limits.max_frame_bytes");
  check(s.limits.max_message_chars <= store_max_message_chars,
        "limits.max_message_chars must be at most "
          + std::to_string(store_max_message_chars)
          + ": the store holds 65535 bytes of message text (MySQL TEXT; "
            "SQLite keeps the same limit), 4 bytes per character at most");
  check(s.limits.outbound_queue_bytes >= s.limits.max_frame_bytes,
        "limits.outbound_queue_bytes must be at least limits.max_frame_bytes");
  check(s.limits.max_http_body_bytes >= 1024,
        "limits.max_http_body_bytes must be at least 1024");
  // The store keeps avatars base64 in a MEDIUMTEXT (16 MiB) column.
  check(s.limits.avatar_bytes >= 1024 && s.limits.avatar_bytes <= 8388608,
        "limits.avatar_bytes must be between 1024 and 8388608");
  check(s.limits.blocks_per_member >= 1 && s.limits.blocks_per_member <= 100000,
        "limits.blocks_per_member must be between 1 and 100000");
  check(s.server.public_url.empty() || valid_public_url(s.server.public_url),
        "server.public_url must be http:// or https:// and a host, with no "
        "path, query or trailing slash");
  check(s.limits.max_connections >= 1,
        "limits.max_connections must be at least 1");
  check(s.limits.connections_per_address >= 1,
        "limits.connections_per_address must be at least 1");
  check(s.limits.rate_limit_keys >= 100 && s.limits.rate_limit_keys <= 10000000,
        "limits.rate_limit_keys must be between 100 and 10000000");
  check(s.limits.messages_per_second >= 1 && s.limits.message_burst >= 1,
        "limits.messages_per_second and limits.message_burst must be at "
        "least 1");
  check(s.limits.rooms_per_session >= 1 && s.limits.rooms_per_session <= 100000,
        "limits.rooms_per_session must be between 1 and 100000");
  check(s.limits.rooms_created_per_hour >= 1
          && s.limits.rooms_created_per_hour <= 1000000,
        "limits.rooms_created_per_hour must be between 1 and 1000000 (to "
        "forbid creation by ENTER set rooms.create_on_enter = false)");
  check(s.auth.refresh_reuse_grace_ms >= 0
          && s.auth.refresh_reuse_grace_ms <= 60000,
        "auth.refresh_reuse_grace_ms must be between 0 and 60000");
  check(s.limits.reports_per_hour >= 1 && s.limits.reports_per_hour <= 100000,
        "limits.reports_per_hour must be between 1 and 100000");
  check(s.limits.report_retention_days >= 1
          && s.limits.report_retention_days <= 36500,
        "limits.report_retention_days must be between 1 and 36500");
  check(s.limits.login_attempts >= 1 && s.limits.login_window_s >= 1
          && s.limits.code_requests >= 1 && s.limits.code_window_s >= 1,
        "limits.login_* and limits.code_* must be at least 1");
  check(s.auth.access_token_ttl_s >= 10 && s.auth.refresh_token_ttl_s >= 10,
        "auth.access_token_ttl_s and auth.refresh_token_ttl_s must be at "
        "least 10");
  check(s.auth.code_ttl_s >= 10, "auth.code_ttl_s must be at least 10");
  check(s.auth.code_max_attempts >= 1,
        "auth.code_max_attempts must be at least 1");
  check(s.auth.password_ops >= 1 && s.auth.password_ops <= 10,
        "auth.password_ops must be between 1 and 10");
  check(s.auth.password_memory_kib >= 8
          && s.auth.password_memory_kib <= 4194304,
        "auth.password_memory_kib must be between 8 and 4194304");
  check(s.auth.purge_interval_s >= 1 && s.auth.purge_interval_s <= 604800,
        "auth.purge_interval_s must be between 1 and 604800");
  check(s.auth.purge_batch >= 1 && s.auth.purge_batch <= 100000,
        "auth.purge_batch must be between 1 and 100000");
  check(s.auth.password_workers >= 1 && s.auth.password_workers <= 64
          && s.auth.password_queue_max >= 1,
        "auth.password_workers must be between 1 and 64, "
        "auth.password_queue_max at least 1");
  check(s.auth.session_cache_ms >= 0 && s.auth.session_cache_ms <= 600000,
        "auth.session_cache_ms must be between 0 and 600000");
  check(s.auth.session_cache_max >= 1 && s.auth.session_cache_max <= 10000000,
        "auth.session_cache_max must be between 1 and 10000000");
  check(s.auth.jwt_secret.empty() || s.auth.jwt_secret.size() >= 32,
        "auth.jwt_secret must be at least 32 bytes");
  check(s.smtp.url.empty() || s.smtp.url.rfind("smtp://", 0) == 0
          || s.smtp.url.rfind("smtps://", 0) == 0,
        "smtp.url must start with smtp:// or smtps://");
  check(s.smtp.timeout_ms >= 100, "smtp.timeout_ms must be at least 100");
  check(s.smtp.workers >= 1 && s.smtp.workers <= 64 && s.smtp.queue_max >= 1,
        "smtp.workers must be between 1 and 64, smtp.queue_max at least 1");
  if (s.web.enabled && !s.web.dir.empty()) {
    std::error_code ec;
    check(std::filesystem::is_regular_file(
            std::filesystem::path{s.web.dir} / "index.html", ec),
          "web.dir must be a directory with an index.html ('" + s.web.dir
            + "' is not)");
  }
  check(s.sse.keepalive_s >= 1 && s.sse.keepalive_s <= 3600,
        "sse.keepalive_s must be between 1 and 3600");
  validate_cluster(s, errs);
  validate_admin(s, errs);
  validate_push(s, errs);
  const auto& lvl = s.log.level;
  check(lvl == "trace" || lvl == "debug" || lvl == "info" || lvl == "warn"
          || lvl == "error" || lvl == "off",
        "log.level must be trace, debug, info, warn, error or off, not '" + lvl
          + "'");
  return errs;
}

std::string help_text(std::string_view program) {
  std::ostringstream out;
  settings defaults;
  out << "Usage: " << program
      << " [--config FILE] [--KEY VALUE | --KEY=VALUE]...\n"
      << "\n"
      << "h2h, the Heart to Heart messaging server.\n"
      << "\n"
      << "Options:\n"
      << "  -h, --help          show this help and exit\n"
      << "  --version           print the version and exit\n"
      << "  --check-config      validate the configuration, print it, exit\n"
      << "  --print-example-config\n"
      << "                      print a config file with every key, exit\n"
      << "  -c, --config FILE   read settings from FILE (or $H2H_CONFIG)\n"
      << "  --port N            same as --server.port N\n"
      << "  --bind ADDR         same as --server.bind ADDR\n"
      << "  --store KIND        same as --store.kind KIND\n"
      << "  --log-level LEVEL   same as --log.level LEVEL\n"
      << "\n"
      << "Settings (flag, environment variable, default):\n";
  for (auto& k : all_keys()) {
    out << "  --" << k.name() << "  (" << k.env_name() << ", default '"
        << k.get(defaults) << "')\n      " << k.help << "\n";
  }
  out << "\nPrecedence: defaults < config file < environment < flags.\n";
  return out.str();
}

std::string example_file_text() {
  std::ostringstream out;
  settings defaults;
  out << "# h2h example configuration: every key with its default.\n"
      << "# Environment variables H2H_<SECTION>_<KEY> and --section.key flags\n"
      << "# override this file.\n";
  std::string section;
  for (auto& k : all_keys()) {
    if (k.section != section) {
      section = k.section;
      out << "\n[" << section << "]\n";
    }
    out << "# " << k.help << "\n" << k.key << " = " << k.get(defaults) << "\n";
  }
  return out.str();
}

} // namespace h2h::config
