// Command line of `h2h-bench failover`: its option table and checks.
#include <stdexcept>

#include "options.hpp"

namespace h2h::bench {

namespace {

/// Defaults of the issue's figure: 1,000 clients in 10 rooms of 100, 10
/// publishers at 200 messages/s (20,000 deliveries/s).
constexpr std::size_t default_conns = 1000;
constexpr std::size_t default_rooms = 10;
constexpr std::size_t default_publishers = 10;
constexpr double default_rate = 200;
/// Bounds of the reconnect policy: a dead cluster must end the run.
constexpr std::size_t max_reconnect_attempts = 1000;
constexpr double max_reconnect_limit_s = 600;
constexpr double max_backoff_ms = 10000;

/// An option of the fanout table, taken over with another help text.
option_spec from_fanout(std::string_view name, std::string_view help = {},
                        bool required = false) {
  for (auto& s : fanout_option_specs())
    if (s.name == name) {
      auto out = s;
      if (!help.empty())
        out.help = help;
      out.required = required;
      return out;
    }
  throw std::logic_error("no fanout option " + std::string{name});
}

std::string set_kill_pid(bench_options& o, std::string_view v) {
  std::size_t pid = 0;
  auto err = parse_size_in(v, 2, 4'194'304, pid); // never init
  if (err.empty())
    o.kill_pid = static_cast<int>(pid);
  return err;
}

std::string set_after(bench_options& o, std::string_view v) {
  auto err = parse_double_in(v, 0, max_duration_s, o.after_s);
  if (err.empty() && o.after_s < 1)
    return "at least 1 s: the clients need time to come back";
  return err;
}

std::string set_attempts(bench_options& o, std::string_view v) {
  return parse_size_in(v, 1, max_reconnect_attempts, o.reconnect_attempts);
}

std::string set_limit(bench_options& o, std::string_view v) {
  auto err = parse_double_in(v, 0, max_reconnect_limit_s, o.reconnect_limit_s);
  if (err.empty() && o.reconnect_limit_s <= 0)
    return "must be longer than 0 s";
  return err;
}

std::string set_enter_timeout(bench_options& o, std::string_view v) {
  auto err = parse_double_in(v, 0, max_reconnect_limit_s, o.enter_timeout_s);
  if (err.empty() && o.enter_timeout_s <= 0)
    return "must be longer than 0 s";
  return err;
}

std::string set_backoff(bench_options& o, std::string_view v) {
  return parse_double_in(v, 0, max_backoff_ms, o.backoff_ms);
}

} // namespace

const std::vector<option_spec>& failover_option_specs() {
  static const std::vector<option_spec> specs{
    from_fanout("--url",
                "a node of the cluster; give it once per node. The first is "
                "the victim: every receiver connects there. The others are "
                "the survivors: publishers connect there, and receivers "
                "reconnect there round robin",
                true),
    from_fanout("--urls"),
    {"--kill-pid", "PID",
     "the victim's h2hd process (must be an h2hd that you started): "
     "SIGKILLed after the warm-up",
     true, set_kill_pid},
    from_fanout("--conns",
                "receivers on the victim (default 1000); connection j is in "
                "room j % R"),
    from_fanout("--rooms", "rooms P0..P{R-1} (default 10)"),
    from_fanout("--room-prefix"),
    from_fanout("--publishers",
                "publishing connections on the survivors (default 10), "
                "publisher k in room k % R"),
    from_fanout("--rate",
                "total messages/s over all publishers (default 200), paced; "
                "they keep sending during the failover"),
    from_fanout("--warmup", "seconds of load before the kill (default 2)"),
    {"--after", "S",
     "seconds of load after the kill (default 10); then the run drains and "
     "checks history",
     false, set_after},
    {"--reconnect-attempts", "N",
     "connection attempts per client after its loss (default 10)", false,
     set_attempts},
    {"--reconnect-limit", "S",
     "a client that is not back within S seconds of its loss gives up "
     "(default 30)",
     false, set_limit},
    {"--backoff-ms", "MS",
     "the first attempt goes at once; then MS, doubling up to 2000 (default "
     "50)",
     false, set_backoff},
    {"--enter-timeout", "S",
     "a client whose re-ENTER brought no room event within S seconds drops "
     "the connection and tries the next survivor (default 2)",
     false, set_enter_timeout},
    from_fanout("--size"),
    from_fanout("--server-pid",
                "read a server's CPU time from /proc (each node, the store); "
                "reported from the kill to the end"),
    from_fanout("--token-file",
                "one access token per line; connection j sends line j % "
                "lines, on every reconnect too (the same member)"),
    from_fanout("--sources"),
    from_fanout("--json"),
    from_fanout("--allow-remote"),
    from_fanout("--help"),
  };
  return specs;
}

parse_result parse_failover(const std::vector<std::string>& args) {
  auto r = parse_options("failover", failover_option_specs(), args);
  auto& o = r.options;
  if (o.help)
    return r;
  for (auto& u : o.urls)
    if (!u.host.empty() && !o.allow_remote && !is_loopback_host(u.host))
      r.errors.push_back("refusing non-loopback host '" + u.host
                         + "' (pass --allow-remote to load a remote server)");
  if (o.conns == 0)
    o.conns = default_conns;
  if (o.rooms == 0)
    o.rooms = default_rooms;
  if (o.publishers == 0)
    o.publishers = default_publishers;
  if (o.rate < 0)
    o.rate = default_rate;
  if (o.url_given && o.urls.size() < 2)
    r.errors.push_back("failover needs the victim and at least one survivor "
                       "(--url given at least twice)");
  if (o.rooms > o.conns)
    r.errors.push_back("--rooms must not exceed --conns (every room needs a "
                       "receiver)");
  if (o.publishers < o.rooms)
    r.errors.push_back("--publishers must be at least --rooms: each room's "
                       "publisher is the reference for its latest seq");
  if (o.conns + o.publishers > max_conns)
    r.errors.push_back("--conns + --publishers exceeds "
                       + std::to_string(max_conns));
  if (o.rate == 0)
    r.errors.push_back("--rate must be above 0: failover paces its "
                       "publishers");
  return r;
}

} // namespace h2h::bench
