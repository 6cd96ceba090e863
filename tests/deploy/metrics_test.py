#!/usr/bin/env python3
"""Starts a real h2hd (SQLite, port 0), parses GET /metrics as Prometheus
text exposition (format 0.0.4, a parser of its own) and checks that the
counters move as messages flow over WebSockets. Exit 77 without H2HD or
python3-websockets."""
import asyncio
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    import websockets
except ImportError:
    print("SKIP: python3-websockets is missing (scripts/deps.sh test installs it)")
    sys.exit(77)

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL}(?:,{LABEL})*,?)?\}})? "
                    r"(\S+)(?: (-?\d+))?$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse(text):
    """{name: (type, value)} for unlabelled samples; raises on bad syntax."""
    assert text.endswith("\n"), "exposition ends with a newline"
    types, helps, out = {}, set(), {}
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {n}: {line!r}"
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert re.fullmatch(NAME, name), where
            assert name not in helps, "HELP twice " + where
            helps.add(name)
        elif line.startswith("# TYPE "):
            parts = line.split(" ")
            assert len(parts) == 4 and re.fullmatch(NAME, parts[2]), where
            assert parts[3] in TYPES, where
            assert parts[2] not in types, "TYPE twice " + where
            assert parts[2] not in out, "TYPE after its samples " + where
            types[parts[2]] = parts[3]
        elif line.startswith("#") or line == "":
            assert line.startswith("#"), "empty line " + where
        else:
            m = SAMPLE.match(line)
            assert m, "bad sample " + where
            name, value = m.group(1), m.group(3)
            v = float(value) if value not in ("+Inf", "-Inf", "NaN") \
                else float(value.replace("Inf", "inf"))
            base = re.sub(r"_(total|sum|count|bucket)$", "", name)
            t = types.get(name) or types.get(base)
            assert t, "sample without TYPE " + where
            if t == "counter":
                assert v >= 0 and not math.isnan(v), "negative counter " + where
            if m.group(2) is None:
                assert name not in out, "sample twice " + where
                out[name] = (t, v)
    assert out, "no samples"
    return out


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                timeout=10) as r:
        assert r.status == 200
        ctype = r.headers["Content-Type"]
        assert ctype.startswith("text/plain; version=0.0.4"), ctype
        return parse(r.read().decode())


async def chat(port, messages):
    uri = f"ws://127.0.0.1:{port}/message"
    async with websockets.connect(uri) as a, websockets.connect(uri) as b:
        for ws, who in ((a, "alice"), (b, "bob")):
            await ws.send(json.dumps({"type": "ENTER", "roomId": "m1",
                                      "sender": who, "message": ""}))
        acks = 0
        for i in range(messages):
            await a.send(json.dumps({"type": "MESSAGE", "roomId": "m1",
                                     "sender": "alice", "message": f"m{i}",
                                     "clientMsgId": f"c{i}"}))
        deadline = time.monotonic() + 10
        while acks < messages and time.monotonic() < deadline:
            frame = json.loads(await asyncio.wait_for(a.recv(), 10))
            acks += frame.get("type") == "ACK"
        got = 0
        while got < messages and time.monotonic() < deadline:
            frame = json.loads(await asyncio.wait_for(b.recv(), 10))
            got += frame.get("type") == "MESSAGE"
        return acks, got


def main():
    h2hd = os.environ.get("H2HD")
    if not h2hd:
        print("SKIP: H2HD (the h2hd binary) is not set")
        return 77
    d = tempfile.mkdtemp(prefix="h2h-metrics-")
    out = open(os.path.join(d, "out"), "w+")
    log = open(os.path.join(d, "log"), "w+")
    p = subprocess.Popen(
        [h2hd, "--bind", "127.0.0.1", "--port", "0",
         "--metrics.bind", "127.0.0.1", "--metrics.port", "0",
         "--admin.port", "0", "--store.sqlite_path", d + "/h2h.db",
         "--auth.required", "false"], stdout=out, stderr=log)
    try:
        ports = {}
        deadline = time.monotonic() + 20
        while len(ports) < 2 and time.monotonic() < deadline:
            out.seek(0)
            for line in out.read().splitlines():
                m = re.match(r"^(metrics )?listening on 127\.0\.0\.1:(\d+)$",
                             line)
                if m:
                    ports["metrics" if m.group(1) else "public"] = int(m[2])
            assert p.poll() is None, "h2hd exited"
            time.sleep(0.05)
        assert len(ports) == 2, "h2hd did not print its ports"
        before = scrape(ports["metrics"])
        for name in ("h2h_connections_open", "h2h_messages_in_total",
                     "h2h_ws_opened_total", "h2h_frames_in_total",
                     "h2h_fanout_deliveries_total",
                     "h2h_persistence_batched_messages_total"):
            assert name in before, name + " is exported"
        n = 10
        acks, got = asyncio.run(chat(ports["public"], n))
        assert (acks, got) == (n, n), f"acks {acks}, received {got}"
        after = scrape(ports["metrics"])
        def moved(name):
            return after[name][1] - before[name][1]
        checks = {
            "h2h_messages_in_total": moved("h2h_messages_in_total") == n,
            "h2h_ws_opened_total": moved("h2h_ws_opened_total") == 2,
            "h2h_frames_in_total": moved("h2h_frames_in_total") >= n + 2,
            "h2h_fanout_deliveries_total":
                moved("h2h_fanout_deliveries_total") >= 2 * n,
            "h2h_persistence_batched_messages_total":
                moved("h2h_persistence_batched_messages_total") >= n,
        }
        for name, ok in checks.items():
            print(("ok: " if ok else "FAIL: ") + name + " moved by "
                  + str(moved(name)))
        for name, (t, v) in after.items():
            if t == "counter":
                assert v >= before.get(name, (t, 0))[1], name + " went down"
        return 0 if all(checks.values()) else 1
    except AssertionError as e:
        print("FAIL:", e)
        log.seek(0)
        print(log.read()[-3000:])
        return 1
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
