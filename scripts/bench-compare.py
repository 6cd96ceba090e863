#!/usr/bin/python3
"""Runs h2h, the uWebSockets peer and the Node.js peer interleaved (RUNS
times each) through scripts/bench.sh and prints the medians and ranges as a
markdown table; then h2h's STOMP endpoint (/ws) beside its raw one
(/message) under the same load."""
import json
import statistics
import subprocess
import sys

bench, runs = sys.argv[1], int(sys.argv[2])


def run(*args):
    out = subprocess.run([bench, *args], check=True, capture_output=True,
                         text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if "lost" in result:
        result["dup_or_reordered"] = (result["lost"] + result["duplicated"]
                                      + result["out_of_order"])
    return result


def cell(values, fmt="{:,.0f}"):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    med = statistics.median(values)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


rows = {}
SERVERS = [("h2h", "h2h"), ("uws", "uws"), ("node", "peer")]
for _ in range(runs):
    for rate, suffix in (("500", ""), ("0", "-sat")):
        for name, mode in SERVERS:
            rows.setdefault(name + suffix, []).append(run(f"fanout-{mode}", rate))
        rows.setdefault("stomp" + suffix, []).append(run("fanout-stomp", rate))
for _ in range(runs):
    for name, mode in SERVERS:
        rows.setdefault(name + "-idle", []).append(run(f"idle-{mode}", "10000"))


def print_rows(suffix, specs):
    """One markdown row per (label, key, format): h2h, uWebSockets, Node.js."""
    for label, key, fmt in specs:
        cells = " | ".join(cell([r.get(key) for r in rows[name + suffix]], fmt)
                           for name, _ in SERVERS)
        print(f"| {label} | {cells} |")


print(f"Medians of {runs} interleaved runs (min–max).")
print()
print("| figure | h2h (durable) | uWebSockets | Node.js + ws |")
print("|---|---|---|---|")
print_rows("", [
    ("deliveries per server CPU-second at 50,000/s", "deliveries_per_server_cpu_s", "{:,.0f}"),
    ("p50 latency at 50,000/s (ms)", "latency_p50_ms", "{:.2f}"),
    ("p90 latency at 50,000/s (ms)", "latency_p90_ms", "{:.2f}"),
    ("p99 latency at 50,000/s (ms)", "latency_p99_ms", "{:.2f}"),
    ("p99 until a message's first member has it, at 50,000/s (ms)", "first_latency_p99_ms", "{:.2f}"),
    ("p99 from a message's first member to its last, at 50,000/s (ms)", "spread_p99_ms", "{:.2f}"),
    ("lost + duplicated + out of order at 50,000/s", "dup_or_reordered", "{:.0f}")])
print_rows("-sat", [
    ("deliveries per server CPU-second, saturated", "deliveries_per_server_cpu_s", "{:,.0f}"),
    ("deliveries/s, saturated", "deliveries_per_s", "{:,.0f}"),
    ("generator CPU share, saturated", "generator_cpu_share", "{:.2f}"),
    ("p99 latency, saturated (ms)", "latency_p99_ms", "{:.1f}"),
    ("lost + duplicated + out of order, saturated", "dup_or_reordered", "{:.0f}")])
print_rows("-idle", [
    ("server RSS per connection, 10,000, right after opening (KB)", "rss_per_conn_kb", "{:.2f}"),
    ("server RSS per idle connection, 10,000, after 15 s (KB)", "rss_per_idle_conn_kb", "{:.2f}"),
    ("10,000 connections opened (s)", "connect_s", "{:.2f}")])


def ratio(stomp, raw, key):
    """STOMP's median over raw's, as a percentage, or n/a."""
    a = [r.get(key) for r in rows[stomp] if r.get(key) is not None]
    b = [r.get(key) for r in rows[raw] if r.get(key) is not None]
    if not a or not b or statistics.median(b) == 0:
        return "n/a"
    return f"{100 * statistics.median(a) / statistics.median(b):.0f} %"


def print_beside(raw, stomp, specs):
    """One markdown row per (label, key, format): raw, STOMP, STOMP/raw."""
    for label, key, fmt in specs:
        print(f"| {label} | {cell([r.get(key) for r in rows[raw]], fmt)} | "
              f"{cell([r.get(key) for r in rows[stomp]], fmt)} | "
              f"{ratio(stomp, raw, key)} |")


print()
print("| figure | raw JSON (/message) | STOMP (/ws) | STOMP / raw |")
print("|---|---|---|---|")
print_beside("h2h", "stomp", [
    ("deliveries per server CPU-second at 50,000/s", "deliveries_per_server_cpu_s", "{:,.0f}"),
    ("p50 latency at 50,000/s (ms)", "latency_p50_ms", "{:.2f}"),
    ("p99 latency at 50,000/s (ms)", "latency_p99_ms", "{:.1f}"),
    ("p99 ACK / RECEIPT latency at 50,000/s (ms)", "ack_latency_p99_ms", "{:.1f}"),
    ("lost + duplicated + out of order at 50,000/s", "dup_or_reordered", "{:.0f}")])
print_beside("h2h-sat", "stomp-sat", [
    ("deliveries per server CPU-second, saturated", "deliveries_per_server_cpu_s", "{:,.0f}"),
    ("deliveries/s, saturated", "deliveries_per_s", "{:,.0f}"),
    ("p99 latency, saturated (ms)", "latency_p99_ms", "{:.1f}"),
    ("lost + duplicated + out of order, saturated", "dup_or_reordered", "{:.0f}")])
