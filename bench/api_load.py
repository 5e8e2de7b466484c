"""A bounded load on the API list of a running server: N requests from C clients, p50/p95.

Usage (against a server you started, e.g. ``make serve``; the loopback only):

    .venv/bin/python bench/api_load.py --url http://127.0.0.1:8000 --username admin \
        --password admin --requests 200 --clients 8

Each client signs nothing in itself: one token is fetched first, then every request lists
200 attempts (``/api/v2.5/admin/attempts/``), pages 1 to 5 in turn (the demo holds about 1,260). The run stops after
``--requests`` requests or ``--seconds``, whichever comes first.
"""

import argparse
import json
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def token(base: str, username: str, password: str) -> str:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"{base}/api/v2.5/auth-token/", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


def timed_get(url: str, header: str) -> tuple[int, float]:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"Authorization": header})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        status = response.status
    return status, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    base = args.url.rstrip("/")
    if urlsplit(base).hostname not in LOOPBACK:
        sys.exit("Load tests run against this machine only (127.0.0.1, localhost).")

    header = f"JWT {token(base, args.username, args.password)}"
    urls = [
        f"{base}/api/v2.5/admin/attempts/?per_page=200&page={n % 5 + 1}"
        for n in range(args.requests)
    ]
    deadline = time.monotonic() + args.seconds
    results = []

    def one(url):
        if time.monotonic() > deadline:
            return None
        return timed_get(url, header)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        results = [r for r in pool.map(one, urls) if r is not None]
    wall = time.perf_counter() - started
    timings = sorted(ms for _, ms in results)
    statuses = {status for status, _ in results}
    print(
        f"{len(results)} requests, {args.clients} clients, {wall:.1f} s wall, "
        f"{len(results) / wall:.1f} req/s; statuses {sorted(statuses)}; "
        f"p50 {statistics.median(timings):.0f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1]:.0f} ms, max {timings[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
