// Unit tests of configuration loading: precedence, error reporting,
// validation, help text and the example file.
#include "config/loader.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/keys.hpp"

namespace cfg = h2h::config;

namespace {

using env_map = std::map<std::string, std::string>;

cfg::env_lookup env_of(env_map vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

/// Writes `text` to a fresh file under the test temp dir and returns its path.
std::string write_temp(const std::string& name, const std::string& text) {
  auto path = testing::TempDir() + "h2h_config_test_" + name + ".conf";
  std::ofstream out{path, std::ios::trunc};
  out << text;
  return path;
}

/// Every value rendered through the key table, for comparing whole settings.
std::map<std::string, std::string> rendered(const cfg::settings& s) {
  std::map<std::string, std::string> out;
  for (auto& k : cfg::all_keys())
    out[k.name()] = k.get(s);
  return out;
}

/// True when one of `errors` contains every one of `parts`.
bool has_error(const std::vector<std::string>& errors,
               std::initializer_list<std::string> parts) {
  for (auto& e : errors) {
    bool all = true;
    for (auto& p : parts)
      all = all && e.find(p) != std::string::npos;
    if (all)
      return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (auto& e : errors)
    out += "\n  " + e;
  return out;
}

} // namespace

// -- defaults and precedence --------------------------------------------------

TEST(config_load, no_input_gives_valid_defaults) {
  auto r = cfg::load({}, env_of({}));
  EXPECT_TRUE(r.errors.empty()) << joined(r.errors);
  EXPECT_EQ(rendered(r.values), rendered(cfg::settings{}));
  EXPECT_EQ(r.values.server.port, 8080);
  EXPECT_EQ(r.values.server.bind, "0.0.0.0");
  EXPECT_EQ(r.values.store.kind, "sqlite");
  EXPECT_EQ(r.values.log.level, "info");
  EXPECT_TRUE(cfg::validate(cfg::settings{}).empty());
}

TEST(config_load, file_then_env_then_flag_for_one_key) {
  auto file = write_temp("precedence", "[server]\nport = 1111\n");
  auto with_file = cfg::load({"--config", file}, env_of({}));
  EXPECT_EQ(with_file.values.server.port, 1111) << joined(with_file.errors);
  auto with_env
    = cfg::load({"--config", file}, env_of({{"H2H_SERVER_PORT", "2222"}}));
  EXPECT_EQ(with_env.values.server.port, 2222);
  auto with_flag = cfg::load({"--config", file, "--server.port", "3333"},
                             env_of({{"H2H_SERVER_PORT", "2222"}}));
  EXPECT_EQ(with_flag.values.server.port, 3333);
  EXPECT_TRUE(with_flag.errors.empty()) << joined(with_flag.errors);
  EXPECT_EQ(with_flag.config_file, file);
}

TEST(config_load, config_file_from_h2h_config_unless_flag_given) {
  auto env_file = write_temp("env_file", "[log]\nlevel = debug\n");
  auto flag_file = write_temp("flag_file", "[log]\nlevel = warn\n");
  auto r = cfg::load({}, env_of({{"H2H_CONFIG", env_file}}));
  EXPECT_EQ(r.values.log.level, "debug");
  r = cfg::load({"--config=" + flag_file}, env_of({{"H2H_CONFIG", env_file}}));
  EXPECT_EQ(r.values.log.level, "warn");
  EXPECT_EQ(r.config_file, flag_file);
}

TEST(config_load, short_c_flag_names_the_config_file) {
  // --help documents "-c, --config FILE".
  auto file = write_temp("short_c", "[log]\nlevel = error\n");
  auto r = cfg::load({"-c", file}, env_of({}));
  EXPECT_TRUE(r.errors.empty()) << joined(r.errors);
  EXPECT_EQ(r.config_file, file);
  EXPECT_EQ(r.values.log.level, "error");
}

TEST(config_load, both_flag_forms_and_aliases) {
  auto r = cfg::load({"--port", "9001", "--bind=127.0.0.1", "--store", "mysql",
                      "--store.mysql_url=mysql://u:p@db:3306/h2h",
                      "--log-level=debug", "--limits.max_connections", "7"},
                     env_of({}));
  EXPECT_TRUE(r.errors.empty()) << joined(r.errors);
  EXPECT_EQ(r.values.server.port, 9001);
  EXPECT_EQ(r.values.server.bind, "127.0.0.1");
  EXPECT_EQ(r.values.store.kind, "mysql");
  EXPECT_EQ(r.values.store.mysql_url, "mysql://u:p@db:3306/h2h");
  EXPECT_EQ(r.values.log.level, "debug");
  EXPECT_EQ(r.values.limits.max_connections, 7);
}

TEST(config_load, action_flags_are_recognized) {
  auto r = cfg::load(
    {"--help", "--version", "--check-config", "--print-example-config"},
    env_of({}));
  EXPECT_TRUE(r.show_help);
  EXPECT_TRUE(r.show_version);
  EXPECT_TRUE(r.check_only);
  EXPECT_TRUE(r.print_example);
  EXPECT_TRUE(cfg::load({"-h"}, env_of({})).show_help);
}

// -- problems -----------------------------------------------------------------

TEST(config_errors, unknown_key_in_file_names_file_and_line) {
  auto file = write_temp("unknown_key",
                         "# comment\n[server]\nport = 8081\nprot = 8082\n");
  auto r = cfg::load({"--config", file}, env_of({}));
  EXPECT_TRUE(has_error(r.errors, {file + ":4", "server.prot"}))
    << joined(r.errors);
  EXPECT_EQ(r.values.server.port, 8081) << "good lines still apply";
}

TEST(config_errors, unknown_and_incomplete_flags_are_reported) {
  auto r = cfg::load({"--server.nope=1", "stray", "--port"}, env_of({}));
  EXPECT_TRUE(has_error(r.errors, {"server.nope"})) << joined(r.errors);
  EXPECT_TRUE(has_error(r.errors, {"stray"})) << joined(r.errors);
  EXPECT_TRUE(has_error(r.errors, {"--port", "needs a value"}))
    << joined(r.errors);
}

TEST(config_errors, missing_config_file_is_an_error) {
  auto r = cfg::load({"--config", "/nonexistent/h2h.conf"}, env_of({}));
  EXPECT_TRUE(has_error(r.errors, {"/nonexistent/h2h.conf"}))
    << joined(r.errors);
}

TEST(config_errors, every_problem_is_listed_at_once) {
  auto file = write_temp("many", "[server]\nio_threads = many\n[limits]\n"
                                 "max_frame_bytes = -5\n");
  auto r = cfg::load({"--config", file, "--server.port=abc", "--log.level=loud",
                      "--persistence.batch_max=0"},
                     env_of({{"H2H_SERVER_PORT", "70000"}}));
  EXPECT_TRUE(has_error(r.errors, {file + ":2", "server.io_threads"}));
  EXPECT_TRUE(has_error(r.errors, {file + ":4", "limits.max_frame_bytes"}));
  EXPECT_TRUE(has_error(r.errors, {"H2H_SERVER_PORT", "out of range"}));
  EXPECT_TRUE(has_error(r.errors, {"--server.port", "abc"}));
  EXPECT_TRUE(has_error(r.errors, {"log.level", "loud"}));
  EXPECT_TRUE(has_error(r.errors, {"persistence.batch_max"}));
  EXPECT_GE(r.errors.size(), 6u) << joined(r.errors);
}

TEST(config_errors, file_syntax_problems_carry_line_numbers) {
  cfg::settings s;
  std::vector<std::string> errors;
  cfg::apply_file_text(s,
                       "orphan = 1\n[server\n[server]\njust words\n"
                       "[nosuch]\nkey = 1\n",
                       "t.conf", errors);
  EXPECT_TRUE(has_error(errors, {"t.conf:1", "outside"})) << joined(errors);
  EXPECT_TRUE(has_error(errors, {"t.conf:2", "section"})) << joined(errors);
  EXPECT_TRUE(has_error(errors, {"t.conf:4", "key = value"})) << joined(errors);
  EXPECT_TRUE(has_error(errors, {"t.conf:6", "nosuch.key"})) << joined(errors);
  EXPECT_EQ(errors.size(), 4u) << joined(errors);
}

TEST(config_file, comments_quotes_spaces_and_crlf) {
  cfg::settings s;
  std::vector<std::string> errors;
  cfg::apply_file_text(s,
                       "# hash comment\r\n; semicolon comment\r\n\r\n"
                       "  [ server ]  \r\n\tport\t=\t9090  \r\n"
                       "bind = \"127.0.0.1\"\r\n[store]\nsqlite_path = "
                       "\"/var/lib/h2h/a b.db\"\n",
                       "crlf.conf", errors);
  EXPECT_TRUE(errors.empty()) << joined(errors);
  EXPECT_EQ(s.server.port, 9090);
  EXPECT_EQ(s.server.bind, "127.0.0.1");
  EXPECT_EQ(s.store.sqlite_path, "/var/lib/h2h/a b.db");
}

// -- validation ---------------------------------------------------------------

TEST(config_validate, mysql_needs_a_mysql_url) {
  cfg::settings s;
  s.store.kind = "mysql";
  EXPECT_TRUE(has_error(cfg::validate(s), {"store.mysql_url"}));
  s.store.mysql_url = "mysql://u:p@localhost:3306/h2h";
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  s.store.kind = "postgres";
  EXPECT_TRUE(has_error(cfg::validate(s), {"store.kind", "postgres"}));
}

TEST(config_validate, cross_key_rules) {
  cfg::settings s;
  s.persistence.batch_max = 1000;
  s.persistence.queue_max = 10;
  s.limits.max_frame_bytes = 4096; // within the store's limit for messages
  s.limits.max_message_chars = s.limits.max_frame_bytes;
  s.limits.outbound_queue_bytes = s.limits.max_frame_bytes - 1;
  s.store.sqlite_path.clear();
  auto errs = cfg::validate(s);
  EXPECT_TRUE(has_error(errs, {"persistence.queue_max"}));
  EXPECT_TRUE(has_error(errs, {"limits.max_message_chars"}));
  EXPECT_TRUE(has_error(errs, {"limits.outbound_queue_bytes"}));
  EXPECT_TRUE(has_error(errs, {"store.sqlite_path"}));
  EXPECT_EQ(errs.size(), 4u) << joined(errs);
}

TEST(config_validate, metrics_port_and_purge_rules) {
  cfg::settings s;
  EXPECT_EQ(s.metrics.bind, "0.0.0.0");
  EXPECT_EQ(s.metrics.port, 9100);
  EXPECT_EQ(s.auth.purge_interval_s, 3600);
  s.metrics.port = s.server.port;
  s.metrics.bind.clear();
  s.auth.purge_interval_s = 0;
  s.auth.purge_batch = 0;
  auto errs = cfg::validate(s);
  EXPECT_TRUE(has_error(errs, {"metrics.port", "server.port"}));
  EXPECT_TRUE(has_error(errs, {"metrics.bind"}));
  EXPECT_TRUE(has_error(errs, {"auth.purge_interval_s"}));
  EXPECT_TRUE(has_error(errs, {"auth.purge_batch"}));
  EXPECT_EQ(errs.size(), 4u) << joined(errs);
  cfg::settings any;
  any.server.port = 0;
  any.metrics.port = 0;
  EXPECT_TRUE(cfg::validate(any).empty()) << "both on free ports";
  auto r = cfg::load({"--metrics.port", "0", "--metrics.bind", "127.0.0.1"},
                     [](const std::string& name) -> std::optional<std::string> {
                       if (name == "H2H_AUTH_PURGE_INTERVAL_S")
                         return "60";
                       return std::nullopt;
                     });
  EXPECT_TRUE(r.errors.empty()) << joined(r.errors);
  EXPECT_EQ(r.values.metrics.port, 0);
  EXPECT_EQ(r.values.metrics.bind, "127.0.0.1");
  EXPECT_EQ(r.values.auth.purge_interval_s, 60);
}

// The store's message column holds 65,535 bytes (MySQL TEXT; SQLite is held
// to the same): 16383 characters of four bytes each. A larger limit would
// let clients send messages the store must refuse.
TEST(config_validate, max_message_chars_fits_the_store) {
  cfg::settings s;
  s.limits.max_message_chars = 16383;
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  s.limits.max_message_chars = 16384;
  auto errs = cfg::validate(s);
  EXPECT_TRUE(has_error(errs, {"limits.max_message_chars", "16383"}))
    << joined(errs);
  EXPECT_EQ(errs.size(), 1u) << joined(errs);
}

TEST(config_validate, read_workers_and_their_queue) {
  cfg::settings s;
  EXPECT_EQ(s.persistence.read_workers, 3);
  s.persistence.read_workers = 0;
  s.persistence.read_queue_max = 0;
  auto errs = cfg::validate(s);
  EXPECT_TRUE(has_error(errs, {"persistence.read_workers"})) << joined(errs);
  EXPECT_TRUE(has_error(errs, {"persistence.read_queue_max"})) << joined(errs);
  auto loaded = cfg::load({"--persistence.read_workers", "2"}, env_of({}));
  EXPECT_EQ(loaded.values.persistence.read_workers, 2) << joined(loaded.errors);
}

TEST(config_validate, room_read_timeout_and_replay_hold_are_bounded) {
  cfg::settings s;
  s.rooms.read_timeout_ms = 99;
  s.rooms.replay_hold_bytes = std::size_t{1} << 31;
  auto errs = cfg::validate(s);
  EXPECT_TRUE(has_error(errs, {"rooms.read_timeout_ms"}));
  EXPECT_TRUE(has_error(errs, {"rooms.replay_hold_bytes"}));
  EXPECT_EQ(errs.size(), 2u) << joined(errs);
  s.rooms.read_timeout_ms = 100;
  s.rooms.replay_hold_bytes = 0; // hold nothing: read it all from the store
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
}

TEST(config_validate, trusted_proxies_list_every_bad_entry) {
  cfg::settings s;
  s.server.trusted_proxies = "10.0.0.0/8, fd00::/8 192.0.2.1";
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  s.server.trusted_proxies = "10.0.0.0/8,ingress.local,10.0.0.1/8";
  s.server.forwarded_header = "x-real-ip";
  auto errs = cfg::validate(s);
  EXPECT_TRUE(has_error(errs, {"server.trusted_proxies", "ingress.local"}));
  EXPECT_TRUE(has_error(errs, {"server.trusted_proxies", "10.0.0.1/8"}));
  EXPECT_TRUE(has_error(errs, {"server.forwarded_header"}));
  EXPECT_EQ(errs.size(), 3u) << joined(errs);
}

TEST(config_validate, client_limits_and_worker_pools_are_bounded) {
  cfg::settings s;
  s.limits.connections_per_address = 0;
  s.limits.rate_limit_keys = 10;
  s.auth.password_workers = 0;
  s.auth.session_cache_ms = -1;
  s.auth.session_cache_max = 0;
  s.smtp.queue_max = -1;
  auto errs = cfg::validate(s);
  for (auto key : {"limits.connections_per_address", "limits.rate_limit_keys",
                   "auth.password_workers", "auth.session_cache_ms",
                   "auth.session_cache_max", "smtp.queue_max"})
    EXPECT_TRUE(has_error(errs, {key})) << key << ": " << joined(errs);
  EXPECT_EQ(errs.size(), 6u) << joined(errs);
}

TEST(config_validate, web_dir_must_hold_an_index_html_while_the_page_is_on) {
  cfg::settings s;
  s.web.dir = H2H_SOURCE_DIR "/config"; // a directory without index.html
  EXPECT_TRUE(has_error(cfg::validate(s), {"web.dir"}));
  s.web.dir = H2H_SOURCE_DIR "/web";
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  s.web.dir = "/no/such/dir";
  s.web.enabled = false; // not served: not checked
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
}

// -- help and example file ----------------------------------------------------

TEST(config_help, mentions_every_key_with_its_env_name_and_default) {
  auto help = cfg::help_text("h2hd");
  cfg::settings defaults;
  for (auto& k : cfg::all_keys()) {
    EXPECT_NE(help.find("--" + k.name()), std::string::npos) << k.name();
    EXPECT_NE(help.find(k.env_name() + ", default '" + k.get(defaults) + "'"),
              std::string::npos)
      << k.name();
    EXPECT_NE(help.find(k.help), std::string::npos) << k.name();
  }
  EXPECT_EQ(cfg::find_key("limits.max_frame_bytes")->env_name(),
            "H2H_LIMITS_MAX_FRAME_BYTES");
  EXPECT_EQ(cfg::find_key("no.such"), nullptr);
}

TEST(config_help, lists_every_command_flag) {
  auto help = cfg::help_text("h2hd");
  for (auto flag :
       {"--help", "--version", "--check-config", "--config", "--port", "--bind",
        "--store", "--log-level", "--print-example-config"})
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
}

TEST(config_example, parses_back_to_the_defaults_with_no_errors) {
  // Start from non-default values: every key must be in the example.
  cfg::settings s;
  std::vector<std::string> errors;
  for (auto& k : cfg::all_keys())
    k.set(s, k.name() == "store.kind" ? "mysql" : "3");
  ASSERT_NE(rendered(s), rendered(cfg::settings{}));
  cfg::apply_file_text(s, cfg::example_file_text(), "example", errors);
  EXPECT_TRUE(errors.empty()) << joined(errors);
  EXPECT_EQ(rendered(s), rendered(cfg::settings{}));
}

TEST(config_example, committed_example_file_is_up_to_date) {
  auto path = std::string{H2H_SOURCE_DIR} + "/config/h2h.example.conf";
  std::ifstream in{path};
  ASSERT_TRUE(in) << "missing " << path;
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), cfg::example_file_text())
    << "regenerate with: h2hd --print-example-config > config/h2h.example.conf";
}

TEST(config_validate, avatar_bytes_and_public_url) {
  cfg::settings s;
  EXPECT_EQ(s.limits.avatar_bytes, 2097152u);
  EXPECT_TRUE(s.server.public_url.empty());
  for (auto ok : {"https://chat.example.com", "http://10.0.0.1:8080",
                  "https://[2001:db8::1]:443"}) {
    s.server.public_url = ok;
    EXPECT_TRUE(cfg::validate(s).empty()) << ok << joined(cfg::validate(s));
  }
  for (auto bad :
       {"chat.example.com", "https://", "https://a.example/",
        "https://a.example/path", "ftp://a.example", "https://a.example?q"}) {
    s.server.public_url = bad;
    EXPECT_TRUE(has_error(cfg::validate(s), {"server.public_url"})) << bad;
  }
  s.server.public_url.clear();
  s.limits.avatar_bytes = 1023;
  EXPECT_TRUE(has_error(cfg::validate(s), {"limits.avatar_bytes"}));
  s.limits.avatar_bytes = 8388609;
  EXPECT_TRUE(has_error(cfg::validate(s), {"limits.avatar_bytes"}));
}

TEST(config_validate, blocks_per_member) {
  cfg::settings s;
  EXPECT_EQ(s.limits.blocks_per_member, 1000u);
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  s.limits.blocks_per_member = 0;
  EXPECT_TRUE(has_error(cfg::validate(s), {"limits.blocks_per_member"}));
  s.limits.blocks_per_member = 100001;
  EXPECT_TRUE(has_error(cfg::validate(s), {"limits.blocks_per_member"}));
  s.limits.blocks_per_member = 1;
  EXPECT_TRUE(cfg::validate(s).empty());
}

TEST(config_validate, http_timeout_ms) {
  cfg::settings s;
  EXPECT_EQ(s.server.http_timeout_ms, 30000);
  s.server.http_timeout_ms = 100;
  EXPECT_TRUE(cfg::validate(s).empty()) << joined(cfg::validate(s));
  for (int bad : {0, 99, 600001}) {
    s.server.http_timeout_ms = bad;
    EXPECT_TRUE(has_error(cfg::validate(s), {"server.http_timeout_ms"})) << bad;
  }
}
