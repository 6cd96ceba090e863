// Unit tests of h2h-bench's statistics: percentiles, delivery accounting,
// /proc.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <string>

#include "h2h-bench/proc_stats.hpp"
#include "h2h-bench/report.hpp"
#include "h2h-bench/stats.hpp"

using namespace h2h::bench;

namespace {

latency_histogram of(std::initializer_list<std::int64_t> values) {
  latency_histogram h;
  for (auto v : values)
    h.record(v);
  return h;
}

} // namespace

// -- percentiles
// -----------------------------------------------------------------

TEST(percentiles, known_data_one_to_hundred_is_exact_below_256) {
  latency_histogram h;
  for (int v = 100; v >= 1; --v) // order of recording must not matter
    h.record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.quantile(0.50), 50);
  EXPECT_EQ(h.quantile(0.90), 90);
  EXPECT_EQ(h.quantile(0.99), 99);
  EXPECT_EQ(h.quantile(1.0), 100);
  EXPECT_EQ(h.max(), 100);
}

TEST(percentiles, nearest_rank_rule_takes_ceil_of_q_times_n) {
  auto h = of({10, 20, 30, 40});
  EXPECT_EQ(h.quantile(0.25), 10); // rank ceil(1.0) = 1
  EXPECT_EQ(h.quantile(0.26), 20); // rank ceil(1.04) = 2
  EXPECT_EQ(h.quantile(0.50), 20); // rank 2, not an interpolated 25
  EXPECT_EQ(h.quantile(0.99), 40); // rank ceil(3.96) = 4
  EXPECT_EQ(h.quantile(0.0), 10);  // rank is at least 1
}

TEST(percentiles, empty_input_has_no_figures) {
  latency_histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_FALSE(h.quantile(0.5));
  EXPECT_FALSE(h.max());
  auto s = summarize_ns(h);
  EXPECT_FALSE(s.p50_ms || s.p90_ms || s.p99_ms || s.max_ms);
  EXPECT_EQ(s.samples, 0u);
}

TEST(percentiles, single_value_is_every_percentile_even_when_bucketed) {
  // 1,234,567 ns lies inside a bucket; clipping to the max keeps it exact.
  auto h = of({1'234'567});
  EXPECT_EQ(h.quantile(0.5), 1'234'567);
  EXPECT_EQ(h.quantile(0.99), 1'234'567);
  EXPECT_EQ(h.max(), 1'234'567);
  auto s = summarize_ns(h);
  EXPECT_DOUBLE_EQ(*s.p50_ms, 1.234567);
  EXPECT_DOUBLE_EQ(*s.max_ms, 1.234567);
}

TEST(percentiles, large_values_round_up_by_at_most_one_in_128) {
  for (std::uint64_t v : {256ull, 257ull, 1000ull, 65'535ull, 1'000'000ull,
                          123'456'789ull, 1ull << 40, (1ull << 62) + 12345}) {
    auto upper
      = latency_histogram::bucket_upper(latency_histogram::bucket_of(v));
    EXPECT_GE(upper, v) << v;
    EXPECT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 128.0)
      << v;
  }
  // p50 of {1 ms, 2 ms, 3 ms}: 2 ms reported as its bucket's upper edge.
  auto h = of({1'000'000, 2'000'000, 3'000'000});
  auto p50 = *h.quantile(0.5);
  EXPECT_GE(p50, 2'000'000);
  EXPECT_LE(p50, 2'000'000 + 2'000'000 / 128);
  EXPECT_EQ(h.max(), 3'000'000);
}

TEST(percentiles, buckets_are_contiguous_and_increasing) {
  std::uint64_t prev = latency_histogram::bucket_upper(0);
  for (std::size_t i = 1; i < 256 + 20 * 128; ++i) {
    auto up = latency_histogram::bucket_upper(i);
    ASSERT_GT(up, prev) << i;
    EXPECT_EQ(latency_histogram::bucket_of(prev + 1), i) << i;
    EXPECT_EQ(latency_histogram::bucket_of(up), i) << i;
    prev = up;
  }
}

TEST(percentiles, negative_values_count_as_zero_and_merge_adds) {
  auto a = of({-5, 3});
  EXPECT_EQ(a.quantile(0.5), 0);
  auto b = of({7, 9});
  a.merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.quantile(0.75), 7);
  EXPECT_EQ(a.max(), 9);
}

// -- delivery accounting
// ----------------------------------------------------------

TEST(delivery_accounting, in_order_stream_has_no_anomalies) {
  stream_state s;
  for (std::uint64_t seq = 0; seq < 1000; ++seq)
    EXPECT_EQ(track(s, seq), arrival::fresh) << seq;
}

TEST(delivery_accounting, duplicates_late_and_unreachable_are_told_apart) {
  stream_state s;
  EXPECT_EQ(track(s, 0), arrival::fresh);
  EXPECT_EQ(track(s, 2), arrival::fresh); // gap: 1 may still come
  EXPECT_EQ(track(s, 1), arrival::late);
  EXPECT_EQ(track(s, 1), arrival::duplicate);
  EXPECT_EQ(track(s, 2), arrival::duplicate);
  EXPECT_EQ(track(s, 0), arrival::duplicate);
  EXPECT_EQ(track(s, 100), arrival::fresh); // jump beyond the window
  EXPECT_EQ(track(s, 37), arrival::late);   // 63 behind: still in reach
  EXPECT_EQ(track(s, 37), arrival::duplicate);
  EXPECT_EQ(track(s, 36), arrival::out_of_reach); // 64 behind
}

TEST(delivery_accounting, ledger_counts_loss_duplicates_and_reorder) {
  // Two receivers of one room with two publishers; messages 0..4 of each,
  // 0 and 1 sent in the warm-up (not measured).
  delivery_ledger ledger{2, 2};
  auto measured = [](std::uint64_t seq) { return seq >= 2; };
  // Receiver 0: everything from publisher 0, in order.
  for (std::uint64_t seq = 0; seq < 5; ++seq)
    ledger.record(0, 0, seq, measured(seq));
  // Receiver 0, publisher 1: 3 lost, 4 before 2 (reordered), 4 twice.
  for (std::uint64_t seq : {0, 1, 4, 2, 4})
    ledger.record(0, 1, seq, measured(seq));
  // Receiver 1, publisher 0: 1 duplicated (warm-up), 2..4 fine.
  for (std::uint64_t seq : {0, 1, 1, 2, 3, 4})
    ledger.record(1, 0, seq, measured(seq));
  // Receiver 1, publisher 1: nothing after the warm-up arrived.
  for (std::uint64_t seq : {0, 1})
    ledger.record(1, 1, seq, measured(seq));

  const auto& t = ledger.totals();
  EXPECT_EQ(t.duplicated, 2u);   // r0/p1 seq 4, r1/p0 seq 1
  EXPECT_EQ(t.out_of_order, 1u); // r0/p1 seq 2 after 4
  EXPECT_EQ(t.distinct, 5u + 4u + 5u + 2u);
  // Measured (seq 2..4): r0/p0 3, r0/p1 2, r1/p0 3, r1/p1 0.
  EXPECT_EQ(t.distinct_measured, 8u);
  std::uint64_t expected = 2 /*publishers*/ * 3 /*seqs*/ * 2 /*members*/;
  EXPECT_EQ(lost_deliveries(expected, t.distinct_measured), 4u);
  EXPECT_EQ(lost_deliveries(3, 5), 0u); // never negative
}

// -- /proc
// ------------------------------------------------------------------------

TEST(proc_parsing, stat_line_with_spaces_and_parentheses_in_comm) {
  // comm "(my) h2hd (x)" — a naive split on spaces or on the first ')' fails.
  std::string line = "4242 ((my) h2hd (x)) S 1 4242 4242 0 -1 4194560 1234 0 "
                     "5 0 731 219 0 0 20 0 3 0 12345 123456789 2048 "
                     "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 "
                     "0 0 0\n";
  auto t = parse_proc_stat(line);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->utime, 731u);
  EXPECT_EQ(t->stime, 219u);
}

TEST(proc_parsing, truncated_or_garbled_stat_lines_are_refused) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("4242 (h2hd S 1 2 3"));
  EXPECT_FALSE(parse_proc_stat("4242 (h2hd) S 1 4242 4242 0 -1 4194560 1234"));
  EXPECT_FALSE(parse_proc_stat(
    "4242 (h2hd) S 1 4242 4242 0 -1 4194560 1234 0 5 0 7x1 219 0"));
}

TEST(proc_parsing, vm_rss_from_status_text) {
  std::string status = "Name:\th2hd\nVmPeak:\t  99999 kB\nVmRSS:\t   26932 kB\n"
                       "RssAnon:\t 10000 kB\n";
  EXPECT_EQ(parse_vm_rss_kb(status), 26932u);
  EXPECT_FALSE(parse_vm_rss_kb("Name:\tkthreadd\nVmPeak:\t1 kB\n"));
  EXPECT_FALSE(parse_vm_rss_kb("VmRSS:\t12"));
}

TEST(proc_parsing, reads_this_process) {
  auto cpu = process_cpu_seconds(static_cast<int>(getpid()));
  ASSERT_TRUE(cpu);
  EXPECT_GE(*cpu, 0.0);
  auto rss = process_rss_kb(static_cast<int>(getpid()));
  ASSERT_TRUE(rss);
  EXPECT_GT(*rss, 0u);
  EXPECT_GE(self_cpu_seconds(), 0.0);
  EXPECT_FALSE(process_rss_kb(0)); // /proc/0 does not exist
}

// -- report
// -----------------------------------------------------------------------

TEST(report, json_has_every_key_and_nulls_without_a_server_pid) {
  fanout_report r;
  r.proto = "h2h";
  r.completed = true;
  r.cpu.window_s = 2;
  r.cpu.generator_cpu_s = 1.9; // 95 % of a core: flagged
  r.publishes = 10;
  r.deliveries.distinct_measured = 100;
  auto j = to_json(r);
  for (auto key : {"publishes",
                   "deliveries",
                   "lost",
                   "duplicated",
                   "out_of_order",
                   "latency_p50_ms",
                   "latency_p90_ms",
                   "latency_p99_ms",
                   "latency_max_ms",
                   "ack_latency_p50_ms",
                   "ack_latency_p99_ms",
                   "first_latency_p50_ms",
                   "first_latency_p99_ms",
                   "spread_p50_ms",
                   "spread_p99_ms",
                   "spread_samples",
                   "spread_untimed",
                   "server_cpu_s",
                   "server_rss_kb",
                   "deliveries_per_server_cpu_s",
                   "generator_cpu_s",
                   "generator_overloaded"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j["server_cpu_s"].is_null());
  EXPECT_TRUE(j["latency_p50_ms"].is_null());
  EXPECT_DOUBLE_EQ(j["deliveries_per_s"].get<double>(), 50.0);
  EXPECT_TRUE(j["generator_overloaded"].get<bool>());
  r.cpu.server_cpu_s = 0.5;
  EXPECT_DOUBLE_EQ(to_json(r)["deliveries_per_server_cpu_s"].get<double>(),
                   200.0);
}

TEST(report, several_servers_are_summed_and_listed) {
  fanout_report r;
  r.proto = "h2h";
  r.deliveries.distinct_measured = 300;
  r.cpu.servers = {{11, 0.5, 1000}, {12, 1.0, 2000}, {13, 1.5, 3000}};
  sum_servers(r.cpu);
  ASSERT_TRUE(r.cpu.server_cpu_s);
  EXPECT_DOUBLE_EQ(*r.cpu.server_cpu_s, 3.0);
  EXPECT_EQ(r.cpu.server_rss_kb, 6000u);
  auto j = to_json(r);
  EXPECT_DOUBLE_EQ(j["deliveries_per_server_cpu_s"].get<double>(), 100.0);
  ASSERT_EQ(j["servers"].size(), 3u);
  EXPECT_EQ(j["servers"][1]["pid"].get<int>(), 12);
  EXPECT_DOUBLE_EQ(j["servers"][2]["cpu_s"].get<double>(), 1.5);
  EXPECT_NE(to_text(r).find("pid 13: cpu"), std::string::npos);
  // One unreadable process makes the sum unknown, not smaller.
  r.cpu.servers[1].cpu_s.reset();
  sum_servers(r.cpu);
  EXPECT_FALSE(r.cpu.server_cpu_s);
  EXPECT_EQ(r.cpu.server_rss_kb, 6000u);
  r.cpu.servers.clear();
  sum_servers(r.cpu);
  EXPECT_FALSE(r.cpu.server_rss_kb);
  EXPECT_TRUE(to_json(r)["servers"].empty());
}

TEST(report, idle_rss_per_connection) {
  idle_report r;
  r.opened = 1000;
  r.server_rss_before_kb = 10'000;
  r.server_rss_after_kb = 15'000;
  EXPECT_DOUBLE_EQ(*rss_per_conn_kb(r), 5.0);
  EXPECT_DOUBLE_EQ(to_json(r)["rss_per_conn_kb"].get<double>(), 5.0);
  // Not read after holding: no idle figure.
  EXPECT_TRUE(to_json(r)["rss_per_idle_conn_kb"].is_null());
  r.server_rss_end_kb = 13'000;
  EXPECT_DOUBLE_EQ(*rss_per_idle_conn_kb(r), 3.0);
  EXPECT_DOUBLE_EQ(to_json(r)["rss_per_idle_conn_kb"].get<double>(), 3.0);
  r.server_rss_before_kb.reset();
  EXPECT_TRUE(to_json(r)["rss_per_conn_kb"].is_null());
  EXPECT_TRUE(to_json(r)["rss_per_idle_conn_kb"].is_null());
}
