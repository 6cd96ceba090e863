// Command-line options of h2h-bench: one table per subcommand, parsing, usage.
#include "options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

namespace h2h::bench {

namespace {

std::string quoted(std::string_view s) {
  return "'" + std::string{s} + "'";
}

} // namespace

/// Whole-string unsigned integer within [lo, hi].
std::string parse_size_in(std::string_view v, std::size_t lo, std::size_t hi,
                          std::size_t& out) {
  std::size_t x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || end != v.data() + v.size() || v.empty())
    return "not a whole number: " + quoted(v);
  if (x < lo || x > hi)
    return quoted(v) + " is out of range [" + std::to_string(lo) + ", "
           + std::to_string(hi) + "]";
  out = x;
  return {};
}

/// Whole-string finite decimal within [lo, hi].
std::string parse_double_in(std::string_view v, double lo, double hi,
                            double& out) {
  double x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || end != v.data() + v.size() || v.empty()
      || !std::isfinite(x))
    return "not a number: " + quoted(v);
  if (x < lo || x > hi) {
    std::ostringstream os;
    os << quoted(v) << " is out of range [" << lo << ", " << hi << "]";
    return os.str();
  }
  out = x;
  return {};
}

namespace {

std::string to_size(std::string_view v, std::size_t lo, std::size_t hi,
                    std::size_t& out) {
  return parse_size_in(v, lo, hi, out);
}

std::string to_double(std::string_view v, double lo, double hi, double& out) {
  return parse_double_in(v, lo, hi, out);
}

std::string add_url(bench_options& o, std::string_view v) {
  if (o.urls.size() >= max_servers)
    return "more than " + std::to_string(max_servers) + " servers";
  ws_url u;
  if (auto err = parse_ws_url(v, u))
    return *err;
  if (o.urls.empty())
    o.url = u;
  o.urls.push_back(std::move(u));
  o.url_given = true;
  return {};
}

/// --url may be given several times; each adds a server.
std::string set_url(bench_options& o, std::string_view v) {
  return add_url(o, v);
}

/// --urls u1,u2,u3: the same as --url u1 --url u2 --url u3.
std::string set_urls(bench_options& o, std::string_view v) {
  if (v.empty())
    return "empty list";
  for (std::size_t from = 0;;) {
    auto comma = v.find(',', from);
    auto item = v.substr(from, comma == v.npos ? v.npos : comma - from);
    if (item.empty())
      return "empty item in " + quoted(v);
    if (auto err = add_url(o, item); !err.empty())
      return err;
    if (comma == v.npos)
      return {};
    from = comma + 1;
  }
}

std::string set_room_prefix(bench_options& o, std::string_view v) {
  if (v.empty() || v.size() > max_room_prefix)
    return "expected 1.." + std::to_string(max_room_prefix) + " characters";
  // The prefix goes into JSON and STOMP headers unescaped.
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_'
        && c != '.')
      return "only letters, digits, '-', '_' and '.' allowed in " + quoted(v);
  o.room_prefix = std::string{v};
  return {};
}

std::string set_conns(bench_options& o, std::string_view v) {
  return to_size(v, 1, max_conns, o.conns);
}

std::string set_rooms(bench_options& o, std::string_view v) {
  return to_size(v, 1, max_conns, o.rooms);
}

std::string set_publishers(bench_options& o, std::string_view v) {
  return to_size(v, 1, max_conns, o.publishers);
}

std::string set_rate(bench_options& o, std::string_view v) {
  return to_double(v, 0, max_rate, o.rate);
}

std::string set_duration(bench_options& o, std::string_view v) {
  auto err = to_double(v, 0, max_duration_s, o.duration_s);
  if (err.empty() && o.duration_s <= 0)
    return "the measured window must be longer than 0 s";
  return err;
}

std::string set_warmup(bench_options& o, std::string_view v) {
  return to_double(v, 0, max_warmup_s, o.warmup_s);
}

std::string set_size(bench_options& o, std::string_view v) {
  return to_size(v, min_payload_size, max_payload_size, o.size);
}

std::string set_pid(bench_options& o, std::string_view v) {
  std::size_t pid = 0;
  auto err = to_size(v, 1, 4'194'304, pid); // Linux's pid_max ceiling
  if (err.empty() && o.server_pids.size() >= max_servers)
    return "more than " + std::to_string(max_servers) + " server PIDs";
  if (err.empty()) {
    if (!o.server_pid)
      o.server_pid = static_cast<int>(pid);
    o.server_pids.push_back(static_cast<int>(pid));
  }
  return err;
}

std::string set_token_file(bench_options& o, std::string_view v) {
  if (v.empty())
    return "empty file name";
  o.token_file = std::string{v};
  return {};
}

std::string set_proto(bench_options& o, std::string_view v) {
  if (v == "h2h" || v == "raw")
    o.proto = protocol::h2h;
  else if (v == "plain")
    o.proto = protocol::plain;
  else if (v == "stomp")
    o.proto = protocol::stomp;
  else
    return "expected raw (or h2h), stomp or plain, got " + quoted(v);
  return {};
}

std::string set_json(bench_options& o, std::string_view) {
  o.json = true;
  return {};
}

std::string set_allow_remote(bench_options& o, std::string_view) {
  o.allow_remote = true;
  return {};
}

std::string set_sources(bench_options& o, std::string_view v) {
  o.sources.clear();
  if (auto err = parse_source_range(v, o.sources))
    return *err;
  return {};
}

std::string set_hold(bench_options& o, std::string_view v) {
  return to_double(v, 0, max_duration_s, o.hold_s);
}

std::string set_help(bench_options& o, std::string_view) {
  o.help = true;
  return {};
}

const option_spec url_spec{"--url", "ws://HOST:PORT/PATH",
                           "server endpoint, e.g. ws://127.0.0.1:8080/message",
                           true, set_url};
const option_spec pid_spec{"--server-pid", "PID",
                           "read the server's CPU time and RSS from /proc",
                           false, set_pid};
const option_spec token_spec{
  "--token-file", "F",
  "one access token per line; connection j sends line j % lines as "
  "?access_token=",
  false, set_token_file};
const option_spec proto_spec{
  "--proto", "raw|stomp|plain",
  "raw: h2h's JSON at /message (default; 'h2h' names it too); stomp: STOMP "
  "1.2 at /ws (fanout only): CONNECT with the token, SUBSCRIBE, SEND, "
  "RECEIPT as the ACK; plain: the reference peer's join/msg",
  false, set_proto};
const option_spec json_spec{"--json", "",
                            "print one JSON object on stdout instead of text",
                            false, set_json};
const option_spec remote_spec{"--allow-remote", "",
                              "allow a host that is not loopback", false,
                              set_allow_remote};
const option_spec sources_spec{
  "--sources", "A.B.C.D-A.B.C.E",
  "bind local addresses round robin (more ephemeral ports)", false,
  set_sources};
const option_spec help_spec{"--help", "", "print this help", false, set_help};

/// Checks shared by every subcommand once all options are read.
void check_common(parse_result& r) {
  auto& o = r.options;
  for (auto& u : o.urls)
    if (!u.host.empty() && !o.allow_remote && !is_loopback_host(u.host))
      r.errors.push_back("refusing non-loopback host " + quoted(u.host)
                         + " (pass --allow-remote to load a remote server)");
}

} // namespace

std::string_view protocol_name(protocol p) {
  switch (p) {
    case protocol::h2h:
      return "h2h";
    case protocol::plain:
      return "plain";
    case protocol::stomp:
      return "stomp";
  }
  return "?";
}

const std::vector<option_spec>& fanout_option_specs() {
  static const std::vector<option_spec> specs{
    {"--url", "ws://HOST:PORT/PATH",
     "server endpoint, e.g. ws://127.0.0.1:8080/message; give it several "
     "times to spread the load: connection j (publishers too) goes to url "
     "j % K",
     true, set_url},
    {"--urls", "U1,U2,..", "several --url at once, comma-separated", false,
     set_urls},
    {"--conns", "N", "WebSocket connections, each a receiver (1..60000)", true,
     set_conns},
    {"--rooms", "R", "rooms bench-0..bench-{R-1}; connection j is in j % R",
     true, set_rooms},
    {"--room-prefix", "P",
     "room ids are P0..P{R-1} (default bench-); letters, digits, - _ .", false,
     set_room_prefix},
    {"--publishers", "P", "publishing connections, spread over the rooms", true,
     set_publishers},
    {"--rate", "X",
     "total messages/s over all publishers, paced by timers; 0 = as fast as "
     "a window of 32 outstanding messages per publisher allows",
     true, set_rate},
    {"--duration", "S", "measured window in seconds (at most 3600)", true,
     set_duration},
    {"--warmup", "S", "seconds of load before the window (default 2)", false,
     set_warmup},
    {"--size", "BYTES",
     "length of each message text, JSON envelope not counted (default 100, >= "
     "64)",
     false, set_size},
    {"--server-pid", "PID",
     "read a server's CPU time and RSS from /proc; give it once per server "
     "process: CPU and RSS are summed and reported per PID",
     false, set_pid},
    token_spec,
    proto_spec,
    sources_spec,
    json_spec,
    remote_spec,
    help_spec,
  };
  return specs;
}

const std::vector<option_spec>& idle_option_specs() {
  static const std::vector<option_spec> specs{
    url_spec,
    {"--conns", "N", "connections to open and hold (1..60000)", true,
     set_conns},
    sources_spec,
    pid_spec,
    {"--hold", "S", "seconds to hold the connections open (default 2)", false,
     set_hold},
    token_spec,
    proto_spec,
    json_spec,
    remote_spec,
    help_spec,
  };
  return specs;
}

parse_result parse_options(std::string_view command,
                           const std::vector<option_spec>& specs,
                           const std::vector<std::string>& args) {
  parse_result r;
  r.options.command = std::string{command};
  std::vector<std::string_view> seen;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view value;
    bool inline_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != arg.npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    auto it = std::find_if(specs.begin(), specs.end(),
                           [&](const option_spec& s) { return s.name == arg; });
    if (it == specs.end()) {
      r.errors.push_back("unknown option " + quoted(arg));
      continue;
    }
    if (it->value.empty()) {
      if (inline_value) {
        r.errors.push_back(std::string{arg} + " takes no value");
        continue;
      }
    } else if (!inline_value) {
      if (i + 1 >= args.size()) {
        r.errors.push_back(std::string{arg} + " needs a value ("
                           + std::string{it->value} + ")");
        continue;
      }
      value = args[++i];
    }
    // --urls stands in for the required --url.
    seen.push_back(it->name == "--urls" ? std::string_view{"--url"} : it->name);
    if (auto err = it->apply(r.options, value); !err.empty())
      r.errors.push_back(std::string{arg} + ": " + err);
  }
  if (r.options.help)
    return r; // --help wins over missing options
  for (auto& s : specs)
    if (s.required && std::find(seen.begin(), seen.end(), s.name) == seen.end())
      r.errors.push_back("missing " + std::string{s.name} + " "
                         + std::string{s.value});
  return r;
}

parse_result parse_fanout(const std::vector<std::string>& args) {
  auto r = parse_options("fanout", fanout_option_specs(), args);
  if (r.options.help)
    return r;
  check_common(r);
  auto& o = r.options;
  if (o.conns > 0 && o.rooms > o.conns)
    r.errors.push_back("--rooms must not exceed --conns (every room needs a "
                       "member)");
  if (o.conns > 0 && o.publishers > o.conns)
    r.errors.push_back("--publishers must not exceed --conns");
  if (o.conns > 0 && o.rooms > 0 && o.publishers > 0) {
    auto per_room = (o.publishers + o.rooms - 1) / o.rooms;
    if (o.conns * per_room > max_ledger_streams)
      r.errors.push_back("--conns x publishers per room exceeds "
                         + std::to_string(max_ledger_streams)
                         + " receiver streams");
  }
  return r;
}

parse_result parse_idle(const std::vector<std::string>& args) {
  auto r = parse_options("idle", idle_option_specs(), args);
  if (!r.options.help)
    check_common(r);
  if (!r.options.help && r.options.proto == protocol::stomp)
    r.errors.push_back("--proto stomp is for fanout only");
  if (!r.options.help && r.options.urls.size() > 1)
    r.errors.push_back("idle takes one --url");
  if (!r.options.help && r.options.server_pids.size() > 1)
    r.errors.push_back("idle takes one --server-pid");
  return r;
}

} // namespace h2h::bench
