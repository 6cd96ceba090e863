// The figures of a bench run and their JSON and human-readable forms.
#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace h2h::bench {

namespace {

using nlohmann::json;

template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

/// Three decimals keep the JSON readable without losing microseconds.
std::optional<double> round3(std::optional<double> v) {
  if (!v)
    return v;
  return std::round(*v * 1000.0) / 1000.0;
}

std::string fmt(std::optional<double> v, const char* unit = "",
                int decimals = 3) {
  if (!v)
    return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f%s", decimals, *v, unit);
  return buf;
}

std::string fmt_kb(std::optional<std::uint64_t> kb) {
  return kb ? std::to_string(*kb) + " kB" : "n/a";
}

} // namespace

std::optional<double> per_second(std::uint64_t count, double seconds) {
  if (seconds <= 0)
    return std::nullopt;
  return static_cast<double>(count) / seconds;
}

std::optional<double> generator_share(const cpu_figures& c) {
  if (c.window_s <= 0)
    return std::nullopt;
  return c.generator_cpu_s / c.window_s;
}

namespace {

/// RSS growth from before opening to `later`, per opened connection.
template <class Kb>
std::optional<double> growth_per_conn(const idle_report& r,
                                      const std::optional<Kb>& later) {
  if (!r.server_rss_before_kb || !later || r.opened == 0)
    return std::nullopt;
  auto diff = static_cast<double>(*later)
              - static_cast<double>(*r.server_rss_before_kb);
  return diff / static_cast<double>(r.opened);
}

} // namespace

std::optional<double> rss_per_idle_conn_kb(const idle_report& r) {
  return growth_per_conn(r, r.server_rss_end_kb);
}

std::optional<double> rss_per_conn_kb(const idle_report& r) {
  return growth_per_conn(r, r.server_rss_after_kb);
}

namespace {

/// [{"pid":…,"cpu_s":…,"rss_kb":…}, …] in --server-pid order.
json servers_json(const std::vector<server_figures>& servers) {
  auto a = json::array();
  for (auto& s : servers)
    a.push_back({{"pid", s.pid},
                 {"cpu_s", or_null(round3(s.cpu_s))},
                 {"rss_kb", or_null(s.rss_kb)}});
  return a;
}

} // namespace

void sum_servers(cpu_figures& c) {
  c.server_cpu_s.reset();
  c.server_rss_kb.reset();
  if (c.servers.empty())
    return;
  double cpu = 0;
  std::uint64_t rss = 0;
  bool cpu_ok = true, rss_ok = true;
  for (auto& s : c.servers) {
    cpu_ok = cpu_ok && s.cpu_s;
    rss_ok = rss_ok && s.rss_kb;
    cpu += s.cpu_s.value_or(0);
    rss += s.rss_kb.value_or(0);
  }
  if (cpu_ok)
    c.server_cpu_s = cpu;
  if (rss_ok)
    c.server_rss_kb = rss;
}

json to_json(const fanout_report& r) {
  auto share = generator_share(r.cpu);
  std::optional<double> per_cpu;
  if (r.cpu.server_cpu_s && *r.cpu.server_cpu_s > 0)
    per_cpu = static_cast<double>(r.deliveries.distinct_measured)
              / *r.cpu.server_cpu_s;
  return json{
    {"mode", "fanout"},
    {"proto", r.proto},
    {"conns", r.conns},
    {"rooms", r.rooms},
    {"publishers", r.publishers},
    {"rate_requested", r.rate_requested},
    {"size", r.size},
    {"warmup_s", r.warmup_s},
    {"duration_s", r.duration_s},
    {"completed", r.completed},
    {"failure", r.failure.empty() ? json(nullptr) : json(r.failure)},
    {"connected", r.connected},
    {"connect_failures", r.connect_failures},
    {"disconnects", r.disconnects},
    {"connect_s", *round3(r.connect_s)},
    {"window_s", *round3(r.cpu.window_s)},
    {"publishes", r.publishes},
    {"publishes_total", r.publishes_total},
    {"publishes_per_s",
     or_null(round3(per_second(r.publishes, r.cpu.window_s)))},
    {"deliveries", r.deliveries.distinct_measured},
    {"deliveries_per_s", or_null(round3(per_second(
                           r.deliveries.distinct_measured, r.cpu.window_s)))},
    {"expected_deliveries", r.expected_deliveries},
    {"lost", r.lost},
    {"duplicated", r.deliveries.duplicated},
    {"out_of_order", r.deliveries.out_of_order},
    {"send_skipped", r.send_skipped},
    {"drain_s", *round3(r.drain_s)},
    {"latency_samples", r.latency.samples},
    {"latency_p50_ms", or_null(round3(r.latency.p50_ms))},
    {"latency_p90_ms", or_null(round3(r.latency.p90_ms))},
    {"latency_p99_ms", or_null(round3(r.latency.p99_ms))},
    {"latency_max_ms", or_null(round3(r.latency.max_ms))},
    {"first_latency_p50_ms", or_null(round3(r.first_latency.p50_ms))},
    {"first_latency_p99_ms", or_null(round3(r.first_latency.p99_ms))},
    {"spread_p50_ms", or_null(round3(r.spread.p50_ms))},
    {"spread_p99_ms", or_null(round3(r.spread.p99_ms))},
    {"spread_samples", r.spread.samples},
    {"spread_untimed", r.spread_untimed},
    {"acks", r.acks},
    {"ack_latency_p50_ms", or_null(round3(r.ack_latency.p50_ms))},
    {"ack_latency_p99_ms", or_null(round3(r.ack_latency.p99_ms))},
    {"server_errors", r.server_errors},
    {"first_server_error",
     r.first_server_error.empty() ? json(nullptr) : json(r.first_server_error)},
    {"unexpected_frames", r.unexpected_frames},
    {"server_cpu_s", or_null(round3(r.cpu.server_cpu_s))},
    {"server_rss_kb", or_null(r.cpu.server_rss_kb)},
    {"deliveries_per_server_cpu_s", or_null(round3(per_cpu))},
    {"servers", servers_json(r.cpu.servers)},
    {"generator_cpu_s", *round3(r.cpu.generator_cpu_s)},
    {"generator_cpu_share", or_null(round3(share))},
    {"generator_overloaded", share && *share > generator_cpu_warn_share},
  };
}

json to_json(const idle_report& r) {
  return json{
    {"mode", "idle"},
    {"proto", r.proto},
    {"conns", r.conns},
    {"opened", r.opened},
    {"completed", r.completed},
    {"failure", r.failure.empty() ? json(nullptr) : json(r.failure)},
    {"connect_failures", r.connect_failures},
    {"disconnects", r.disconnects},
    {"connect_s", *round3(r.connect_s)},
    {"hold_s", r.hold_s},
    {"sources", r.sources},
    {"server_rss_before_kb", or_null(r.server_rss_before_kb)},
    {"server_rss_after_kb", or_null(r.server_rss_after_kb)},
    {"server_rss_end_kb", or_null(r.server_rss_end_kb)},
    {"rss_per_conn_kb", or_null(round3(rss_per_conn_kb(r)))},
    {"rss_per_idle_conn_kb", or_null(round3(rss_per_idle_conn_kb(r)))},
    {"generator_cpu_s", *round3(r.generator_cpu_s)},
    {"open_generator_cpu_s", *round3(r.open_generator_cpu_s)},
    {"open_server_cpu_s", or_null(round3(r.open_server_cpu_s))},
  };
}

std::string to_text(const fanout_report& r) {
  auto j = to_json(r);
  auto share = generator_share(r.cpu);
  std::ostringstream os;
  os << "fanout (" << r.proto << "): " << r.conns << " connections in "
     << r.rooms << " rooms, " << r.publishers << " publishers, rate "
     << (r.rate_requested > 0 ? fmt(r.rate_requested, "/s", 0) : "max") << ", "
     << r.size << " B messages\n";
  os << "  run:        "
     << (r.completed ? "completed" : "INCOMPLETE: " + r.failure)
     << "; connected " << r.connected << " in " << fmt(r.connect_s, " s")
     << ", " << r.connect_failures << " connect failures, " << r.disconnects
     << " disconnects\n";
  os << "  window:     " << fmt(r.cpu.window_s, " s") << ", " << r.publishes
     << " publishes (" << fmt(per_second(r.publishes, r.cpu.window_s), "/s", 1)
     << "), " << r.deliveries.distinct_measured << " deliveries ("
     << fmt(per_second(r.deliveries.distinct_measured, r.cpu.window_s), "/s", 1)
     << ")\n";
  os << "  integrity:  expected " << r.expected_deliveries << ", lost "
     << r.lost << ", duplicated " << r.deliveries.duplicated
     << ", out of order " << r.deliveries.out_of_order << ", sends skipped "
     << r.send_skipped << ", drain " << fmt(r.drain_s, " s") << '\n';
  os << "  latency:    p50 " << fmt(r.latency.p50_ms, " ms") << ", p90 "
     << fmt(r.latency.p90_ms, " ms") << ", p99 " << fmt(r.latency.p99_ms, " ms")
     << ", max " << fmt(r.latency.max_ms, " ms") << '\n';
  os << "  per message: first member p50 " << fmt(r.first_latency.p50_ms, " ms")
     << ", p99 " << fmt(r.first_latency.p99_ms, " ms")
     << "; first to last member p50 " << fmt(r.spread.p50_ms, " ms") << ", p99 "
     << fmt(r.spread.p99_ms, " ms") << " (" << r.spread.samples
     << " messages)\n";
  if (r.proto != "plain") // h2h's ACKs, STOMP's RECEIPTs
    os << "  acks:       " << r.acks << ", p50 "
       << fmt(r.ack_latency.p50_ms, " ms") << ", p99 "
       << fmt(r.ack_latency.p99_ms, " ms") << "; server errors "
       << r.server_errors
       << (r.first_server_error.empty()
             ? ""
             : " (first: " + r.first_server_error + ")")
       << '\n';
  os << "  server:     cpu " << fmt(r.cpu.server_cpu_s, " s") << ", rss "
     << fmt_kb(r.cpu.server_rss_kb) << ", deliveries per cpu-second "
     << (j["deliveries_per_server_cpu_s"].is_null()
           ? std::string{"n/a"}
           : fmt(j["deliveries_per_server_cpu_s"].get<double>(), "", 0))
     << '\n';
  if (r.cpu.servers.size() > 1)
    for (auto& s : r.cpu.servers)
      os << "    pid " << s.pid << ": cpu " << fmt(s.cpu_s, " s") << ", rss "
         << fmt_kb(s.rss_kb) << '\n';
  os << "  generator:  cpu " << fmt(r.cpu.generator_cpu_s, " s") << " ("
     << fmt(share ? std::optional<double>{*share * 100} : std::nullopt, " %", 1)
     << " of one core)"
     << (share && *share > generator_cpu_warn_share
           ? "  WARNING: over 90 % of a core, the generator may be the limit"
           : "")
     << '\n';
  return os.str();
}

std::string to_text(const idle_report& r) {
  std::ostringstream os;
  os << "idle (" << r.proto << "): " << r.opened << " of " << r.conns
     << " connections open in " << fmt(r.connect_s, " s") << " from "
     << r.sources << " source address(es); "
     << (r.completed ? "completed" : "INCOMPLETE: " + r.failure) << '\n';
  os << "  failures:   " << r.connect_failures << " connect, " << r.disconnects
     << " disconnects\n";
  os << "  server rss: before " << fmt_kb(r.server_rss_before_kb) << ", after "
     << fmt_kb(r.server_rss_after_kb) << ", after holding "
     << fmt(r.hold_s, " s", 1) << " " << fmt_kb(r.server_rss_end_kb) << '\n';
  os << "  per conn:   " << fmt(rss_per_conn_kb(r), " kB", 2)
     << " after opening, " << fmt(rss_per_idle_conn_kb(r), " kB", 2)
     << " after holding\n";
  os << "  generator:  cpu " << fmt(r.generator_cpu_s, " s") << " ("
     << fmt(r.open_generator_cpu_s, " s") << " while opening)\n";
  os << "  server:     cpu while opening " << fmt(r.open_server_cpu_s, " s")
     << '\n';
  return os.str();
}

} // namespace h2h::bench
