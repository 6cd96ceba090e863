// Options of h2h-push-bench: `--name value`, bounded so that every run ends
// within minutes.
#include "push_bench_options.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>

namespace h2h::test {

namespace {

double number(const std::string& name, const std::string& v, double lo,
              double hi) {
  std::size_t used = 0;
  double d = 0;
  try {
    d = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || !std::isfinite(d) || d < lo || d > hi)
    throw std::invalid_argument(name + " must be a number in [" + std::to_string(lo)
                                + ", " + std::to_string(hi) + "], not '" + v
                                + "'");
  return d;
}

int whole(const std::string& name, const std::string& v, int lo, int hi) {
  auto d = number(name, v, lo, hi);
  if (d != std::floor(d))
    throw std::invalid_argument(name + " must be a whole number, not '" + v
                                + "'");
  return static_cast<int>(d);
}

} // namespace

push_bench_options parse_push_bench(const std::vector<std::string>& args) {
  push_bench_options o;
  using setter = std::function<void(const std::string&)>;
  const std::map<std::string, setter> table{
    {"--h2hd", [&](auto& v) { o.h2hd = v; }},
    {"--bench", [&](auto& v) { o.bench = v; }},
    {"--push",
     [&](auto& v) {
       if (v != "on" && v != "off")
         throw std::invalid_argument("--push must be on or off");
       o.push = v == "on";
     }},
    {"--provider-delay-ms",
     [&](auto& v) { o.provider_delay_ms = whole("--provider-delay-ms", v, 0, 9000); }},
    {"--members", [&](auto& v) { o.members = whole("--members", v, 1, 5000); }},
    {"--coalesce-ms",
     [&](auto& v) { o.coalesce_ms = whole("--coalesce-ms", v, 10, 60000); }},
    {"--push-rate",
     [&](auto& v) { o.push_rate = number("--push-rate", v, 0.1, 200); }},
    {"--chat-push-rate",
     [&](auto& v) { o.chat_push_rate = number("--chat-push-rate", v, 0, 200); }},
    {"--push-warmup",
     [&](auto& v) { o.push_warmup_s = number("--push-warmup", v, 0, 30); }},
    {"--push-duration",
     [&](auto& v) { o.push_duration_s = number("--push-duration", v, 0, 60); }},
    {"--conns", [&](auto& v) { o.conns = whole("--conns", v, 1, 5000); }},
    {"--rooms", [&](auto& v) { o.rooms = whole("--rooms", v, 1, 100); }},
    {"--publishers",
     [&](auto& v) { o.publishers = whole("--publishers", v, 1, 100); }},
    {"--rate", [&](auto& v) { o.rate = number("--rate", v, 1, 5000); }},
    {"--chat-warmup",
     [&](auto& v) { o.chat_warmup_s = number("--chat-warmup", v, 0, 30); }},
    {"--chat-duration",
     [&](auto& v) { o.chat_duration_s = number("--chat-duration", v, 1, 60); }},
  };
  std::string errors;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--") {
      o.server_args.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a == "--help" || a == "-h") {
      o.help = true;
      continue;
    }
    auto it = table.find(a);
    if (it == table.end()) {
      errors += "unknown option " + a + "\n";
      continue;
    }
    if (i + 1 >= args.size()) {
      errors += a + " needs a value\n";
      continue;
    }
    try {
      it->second(args[++i]);
    } catch (const std::invalid_argument& e) {
      errors += std::string{e.what()} + "\n";
    }
  }
  if (o.h2hd.empty() && !o.help)
    errors += "--h2hd PATH is required\n";
  if (o.rooms > o.conns || o.publishers > o.conns)
    errors += "--rooms and --publishers must not exceed --conns\n";
  if (!errors.empty())
    throw std::invalid_argument(errors);
  return o;
}

std::string push_bench_usage() {
  return R"(h2h-push-bench: pushes/s against a local fake FCM, and the chat's
fan-out latency with push off, or on with a fast or slow provider.

  --h2hd PATH             h2hd to start (required; 127.0.0.1, port 0, SQLite)
  --bench PATH            h2h-bench for the chat phase (none: no chat phase)
  --push on|off           push on (fake FCM + OAuth2) or no credentials (on)
  --provider-delay-ms N   the fake FCM answers each push after N ms (0)
  --members N             push room members, each with a device, absent (1000)
  --coalesce-ms N         push.coalesce_ms (100)
  --push-rate X           messages/s into the push room, push phase (20)
  --push-warmup S         seconds before the push phase's window (2)
  --push-duration S       the push phase's measured window (8; 0: none)
  --chat-push-rate X      messages/s into the push room, chat phase (1)
  --conns N --rooms R --publishers P --rate X
                          h2h-bench fanout's load (1000, 10, 10, 200);
                          receivers signed in as the push room's members
  --chat-warmup S --chat-duration S                      (2, 10)
  -- ARGS                 more h2hd arguments
Prints one JSON object on stdout; progress on stderr.
)";
}

} // namespace h2h::test
