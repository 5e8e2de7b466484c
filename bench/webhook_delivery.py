"""Benchmark: webhook messages per second from one process (what one Celery worker runs:
``delivery.deliver_due``) to a receiver on 127.0.0.1, signatures included.

    DEBUG=1 .venv/bin/python bench/webhook_delivery.py --messages 1000

It uses a throw-away SQLite database (migrated at start) unless DATABASE_URL says otherwise,
writes ``--messages`` pending messages for one endpoint, and times their delivery.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# The repository instead of bench/ (whose statistics.py would shadow the standard library's).
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE", "1")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from attempts.webhooks import delivery  # noqa: E402
from attempts.webhooks.models import Endpoint, Message  # noqa: E402
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    owner, _ = User.objects.get_or_create(username="bench-webhooks")
    endpoint = Endpoint.objects.create(
        owner=owner, url=f"http://127.0.0.1:{server.server_address[1]}/hook"
    )
    now = timezone.now()
    body = {"type": "attempt.completed", "data": {"interactions": [{"n": i} for i in range(20)]}}
    Message.objects.bulk_create(
        Message(endpoint=endpoint, event_type="attempt.completed", payload=body, next_try_at=now)
        for _ in range(args.messages)
    )
    started = time.perf_counter()
    while delivery.deliver_due():
        pass
    elapsed = time.perf_counter() - started
    delivered = Message.objects.filter(endpoint=endpoint, status="delivered").count()
    print(f"{delivered} delivered in {elapsed:.2f} s: {delivered / elapsed:.0f} messages/s")
    server.shutdown()


if __name__ == "__main__":
    main()
