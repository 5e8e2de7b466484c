"""Benchmark: webhook messages per second to a receiver on 127.0.0.1, signatures included,
from one process (what one Celery worker or ``deliver_webhooks`` runs: ``deliver_due``) sending
one at a time, then with several in flight, then from two processes at once.

    DEBUG=1 .venv/bin/python bench/webhook_delivery.py --messages 1000
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_hooks_bench \\
        .venv/bin/python bench/webhook_delivery.py --messages 1000

It uses a throw-away SQLite database (migrated at start) unless DATABASE_URL says otherwise
(that database is migrated and its webhook tables emptied), writes ``--messages`` pending
messages spread over ``--endpoints`` endpoints (all posting to the one receiver, a threaded
HTTP/1.1 server answering 204), and times their delivery in each setting:

- one process, ``WEBHOOK_DELIVERY_THREADS=1``: one message at a time (what it was before);
- one process, the default 8 threads, at most ``WEBHOOK_ENDPOINT_CONCURRENCY`` (4) per endpoint;
- two processes (8 threads each, timed from when both are ready) sharing the work through the
  claims.

Measured on 2 shared cores (2026-12-01, 1,000 messages over 4 endpoints, one run each): SQLite
at load about 2: 248 messages/s one at a time, 441 with 8 threads (1.8x), 364 from two
processes (1.5x); PostgreSQL at load about 7: 22, 73 (3.3x) and 82 (3.7x) messages/s.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["WEBHOOK_ALLOW_PRIVATE"] = "1"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from attempts.webhooks import delivery  # noqa: E402
from attempts.webhooks.models import DeliveryAttempt, Endpoint, Message  # noqa: E402
from lms.models import User  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def queue(endpoints: list[Endpoint], count: int) -> None:
    Message.objects.filter(endpoint__in=endpoints).delete()
    now = timezone.now()
    body = {"type": "attempt.completed", "data": {"interactions": [{"n": i} for i in range(20)]}}
    Message.objects.bulk_create(
        Message(
            endpoint=endpoints[n % len(endpoints)],
            event_type="attempt.completed",
            payload=body,
            next_try_at=now,
        )
        for n in range(count)
    )


def in_process(endpoints, count: int, threads: int) -> float:
    queue(endpoints, count)
    settings.WEBHOOK_DELIVERY_THREADS = threads
    started = time.perf_counter()
    while delivery.deliver_due():
        pass
    return time.perf_counter() - started


# A second process's pump, started (Django set up) before the clock starts: it says "ready",
# waits for a line, then delivers until nothing is due.
WORKER = """
import django, sys
django.setup()
from attempts.webhooks.delivery import deliver_due
print("ready", flush=True)
sys.stdin.readline()
while deliver_due():
    pass
"""


def two_processes(endpoints, count: int) -> float:
    queue(endpoints, count)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        worker.wait()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=4)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    DeliveryAttempt.objects.all().delete()
    Message.objects.all().delete()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    owner, _ = User.objects.get_or_create(username="bench-webhooks")
    Endpoint.objects.filter(owner=owner).delete()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    endpoints = [Endpoint.objects.create(owner=owner, url=url) for _ in range(args.endpoints)]
    n, cap = args.messages, settings.WEBHOOK_ENDPOINT_CONCURRENCY
    print(f"{n} messages over {args.endpoints} endpoints, {connection_name()}:")
    for label, run in (
        ("1 process, 1 at a time", lambda: in_process(endpoints, n, 1)),
        (f"1 process, 8 threads, {cap} per endpoint", lambda: in_process(endpoints, n, 8)),
        ("2 processes, 8 threads each", lambda: two_processes(endpoints, n)),
    ):
        elapsed = run()
        delivered = Message.objects.filter(endpoint__in=endpoints, status="delivered").count()
        assert delivered == n, f"{label}: {delivered} of {n} delivered"
        print(f"  {label:<40} {elapsed:6.2f} s  {n / elapsed:6.0f} messages/s")
    server.shutdown()


def connection_name() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
