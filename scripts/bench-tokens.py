#!/usr/bin/python3
"""Creates members on an h2h server and writes one access token per line,
for `h2h-bench --token-file`. The server must run with
--auth.require_email_verification false and a login limit above --count
(e.g. --limits.login_attempts 100000); loopback addresses only."""
import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def post(base, path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefix", default="bench")
    a = ap.parse_args()
    host = urllib.parse.urlparse(a.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        sys.exit("refusing a non-loopback server")
    if not 1 <= a.count <= 100000:
        sys.exit("--count must be between 1 and 100000")
    tokens = []
    for i in range(a.count):
        email = f"{a.prefix}{i}@bench.invalid"
        password = "Bench#12345"
        try:
            post(a.url, "/auth/join", {"email": email, "name": f"Bench {i}",
                                        "nickname": f"b{i}",
                                        "password": password})
        except urllib.error.HTTPError as e:
            if json.loads(e.read()).get("code") != "AUTH_000":  # exists
                raise
        res = post(a.url, "/auth/login", {"email": email, "password": password})
        tokens.append(res["access_token"])
    with open(a.out, "w") as f:
        f.write("\n".join(tokens) + "\n")
    print(f"{len(tokens)} tokens written to {a.out}")


if __name__ == "__main__":
    main()
