#!/usr/bin/python3
"""Summarises h2h-push-bench runs (JSON lines, as `scripts/bench.sh push`
prints them; other lines are skipped) as a markdown table: the median of
each figure per configuration (push off, fast provider, provider answering
after N ms), with the range in brackets."""
import json
import statistics
import sys


def config(run):
    if not run.get("push"):
        return "push off"
    delay = run.get("provider_delay_ms", 0)
    return "fast provider" if delay == 0 else f"provider {delay / 1000:g} s"


def get(run, path):
    for key in path.split("."):
        if not isinstance(run, dict) or key not in run:
            return None
        run = run[key]
    return run if isinstance(run, (int, float)) else None


def cell(values, fmt):
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


ROWS = [
    ("push phase: pushes/s received by the fake FCM", "push_phase.pushes_per_s", "{:,.0f}"),
    ("push phase: demand (members × windows/s)", "push_phase.demand_per_s", "{:,.0f}"),
    ("push phase: pushes per h2hd CPU-s", "push_phase.pushes_per_h2hd_cpu_s", "{:,.0f}"),
    ("push phase: h2hd CPU-s / s", "push_phase.h2hd_cpu_per_s", "{:.2f}"),
    ("push phase: dropped (queue full)", "push_phase.dropped", "{:,.0f}"),
    ("push phase: queue at the end", "push_phase.queue_end", "{:,.0f}"),
    ("chat: fan-out latency p50 (ms)", "chat_phase.fanout.latency_p50_ms", "{:.2f}"),
    ("chat: fan-out latency p99 (ms)", "chat_phase.fanout.latency_p99_ms", "{:.2f}"),
    ("chat: fan-out latency max (ms)", "chat_phase.fanout.latency_max_ms", "{:.1f}"),
    ("chat: ACK latency p99 (ms)", "chat_phase.fanout.ack_latency_p99_ms", "{:.2f}"),
    ("chat: deliveries/s", "chat_phase.fanout.deliveries_per_s", "{:,.0f}"),
    ("chat: deliveries per h2hd CPU-s", "chat_phase.fanout.deliveries_per_server_cpu_s", "{:,.0f}"),
    ("chat: lost + duplicated + out of order", "chat_phase.fanout.bad", "{:,.0f}"),
    ("chat phase: pushes/s received", "chat_phase.pushes_per_s", "{:,.0f}"),
    ("chat phase: dropped (queue full)", "chat_phase.dropped", "{:,.0f}"),
    ("chat phase: queue at the end", "chat_phase.queue_end", "{:,.0f}"),
    ("push room: ACK p99 / max in the push phase (ms)", "push_phase.publisher.ack_p99_ms", "{:.1f}"),
    ("", "push_phase.publisher.ack_max_ms", "{:.1f}"),
    ("push room: ACK p99 / max in the chat phase (ms)", "chat_phase.publisher.ack_p99_ms", "{:.1f}"),
    ("", "chat_phase.publisher.ack_max_ms", "{:.1f}"),
]


def main():
    runs = {}
    for name in sys.argv[1:] or ["/dev/stdin"]:
        with open(name) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                run = json.loads(line)
                if run.get("mode") != "push":
                    continue
                fan = (run.get("chat_phase") or {}).get("fanout")
                if isinstance(fan, dict) and "lost" in fan:
                    fan["bad"] = fan["lost"] + fan["duplicated"] + fan["out_of_order"]
                phase = run.get("push_phase")
                if phase and phase.get("window_s"):
                    phase["h2hd_cpu_per_s"] = phase["h2hd_cpu_s"] / phase["window_s"]
                runs.setdefault(config(run), []).append(run)
    order = sorted(runs, key=lambda c: (c != "push off", c != "fast provider", c))
    print("| figure | " + " | ".join(f"{c} ({len(runs[c])} runs)" for c in order) + " |")
    print("|---" * (len(order) + 1) + "|")
    for label, path, fmt in ROWS:
        cells = [cell([get(r, path) for r in runs[c]], fmt) for c in order]
        if all(c == "—" for c in cells):
            continue
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
