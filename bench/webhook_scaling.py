"""Webhook messages/s with 1 and 2 delivering processes (what 1 or 2 Celery worker processes
on the ``webhooks`` queue run: the ``pump`` task's ``delivery.deliver_due`` loop), to a
receiver on 127.0.0.1 that answers after ``--delay-ms`` (a real receiver is not instant).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_scale_webhooks \\
        .venv/bin/python bench/webhook_scaling.py --messages 600 --processes 1 2 --delay-ms 0 50

PostgreSQL only (each message is claimed by a compare-and-set UPDATE that only one process
wins, ``delivery.claim_due``; SQLite would serialise the processes): the database is migrated
at start and gets a throw-away endpoint and its messages per run. Each process claims 100 due messages at a time
and sends them one by one, as the task does; the run ends when no message is due.
"""

import argparse
import multiprocessing
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# The repository instead of bench/ on the path.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE", "1")
os.environ["DB_POOL"] = "off"  # forked processes: each opens its own connection

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from attempts.webhooks import delivery  # noqa: E402
from attempts.webhooks.models import Endpoint, Message  # noqa: E402
from lms.models import User  # noqa: E402

DELAY = {"seconds": 0.0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        time.sleep(DELAY["seconds"])
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def drain(_):
    """One worker process: deliver until nothing is due."""
    connections.close_all()
    sent = 0
    while tried := delivery.deliver_due():
        sent += tried
    connections.close_all()
    return sent


def one_run(url: str, messages: int, processes: int) -> tuple[int, float]:
    owner, _ = User.objects.get_or_create(username="bench-webhooks")
    Message.objects.filter(endpoint__owner=owner).delete()
    Endpoint.objects.filter(owner=owner).delete()
    endpoint = Endpoint.objects.create(owner=owner, url=url)
    now = timezone.now()
    body = {"type": "attempt.completed", "data": {"interactions": [{"n": i} for i in range(20)]}}
    Message.objects.bulk_create(
        Message(endpoint=endpoint, event_type="attempt.completed", payload=body, next_try_at=now)
        for _ in range(messages)
    )
    connections.close_all()  # nothing open across the fork
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(drain, range(processes))
    elapsed = time.perf_counter() - started
    delivered = Message.objects.filter(endpoint=endpoint, status="delivered").count()
    return delivered, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--delay-ms", type=int, nargs="+", default=[0, 50])
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: set DATABASE_URL to a database of your own.")
    call_command("migrate", verbosity=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    print("| receiver delay | processes | delivered | seconds | messages/s | load 1 min |")
    print("|---|---|---|---|---|---|")
    for delay in args.delay_ms:
        DELAY["seconds"] = delay / 1000
        for processes in args.processes:
            delivered, elapsed = one_run(url, args.messages, processes)
            print(
                f"| {delay} ms | {processes} | {delivered} | {elapsed:.1f} "
                f"| {delivered / elapsed:.0f} | {os.getloadavg()[0]:.1f} |",
                flush=True,
            )
    server.shutdown()


if __name__ == "__main__":
    main()
