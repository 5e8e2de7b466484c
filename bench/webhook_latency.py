"""Benchmark: what an enabled webhook endpoint adds to the submission request. It should add
nothing: the request writes its ``AttemptEvent`` rows and returns; the relay and the delivery run
in another process.

    DEBUG=1 .venv/bin/python bench/webhook_latency.py --rounds 4 --per-round 25

It uses a throw-away SQLite database (migrated at start) unless DATABASE_URL says otherwise,
starts gunicorn (1 process, 2 threads) and ``manage.py deliver_webhooks --interval 0.5`` on it
(running through both conditions), and a receiver on 127.0.0.1. One client posts whole answer
sheets (``bench/submissions_load.py``'s assessment of ``--questions`` questions) one after
another, in rounds alternating the two conditions so that the machine's load falls on both:
no endpoint enabled, then an endpoint enabled that wants ``attempt.completed``. After each
enabled round it waits until the relay has written that round's messages; at the end, until
all were delivered (checked: one per submission of the enabled rounds). Prints the median and
p95 of each condition and their ratio.

Measured on 2 shared cores (2026-12-01, one run each): SQLite, 100 + 100 submissions, load
about 2: median 22.2 / 22.1 ms (ratio 1.00), p95 31.8 / 59.6 ms (1.87); PostgreSQL, 60 + 60:
median 200.8 / 211.7 ms (1.05), p95 291 / 512 ms (1.76). The medians match: the request does
not wait for a delivery; the p95 grows because the relay and the deliveries share the cores
and the database with the web process.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path[0] = str(REPO)
sys.path.insert(1, str(BENCH))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from submissions_load import setup, timed_post, token  # noqa: E402

from attempts.models import AttemptEvent  # noqa: E402
from attempts.webhooks.models import Endpoint, Message, RelayCursor  # noqa: E402
from lms.models import User  # noqa: E402
from tests.servers import free_port, wait_for_port  # noqa: E402


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        with Receiver.lock:
            Receiver.count += 1
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def wait_until(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-round", type=int, default=25)
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    Message.objects.all().delete()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    receiver.daemon_threads = True
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    owner, _ = User.objects.get_or_create(username="bench-webhooks")
    Endpoint.objects.filter(owner=owner).delete()
    endpoint = Endpoint.objects.create(
        owner=owner,
        url=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
        event_types=["attempt.completed"],
        active=False,
    )
    assessment, sheet, (username,) = setup(args.questions, 1)
    port = free_port()
    env = {**os.environ, "WEBHOOK_ALLOW_PRIVATE": "1"}
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "lms.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "--log-level", "warning"],
        cwd=REPO, env=env,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "deliver_webhooks", "--interval", "0.5"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, web, timeout=60)
        base = f"http://127.0.0.1:{port}"
        header = f"Bearer {token(base, username)}"
        url = f"{base}/api/v1/assessments/{assessment}/submissions"
        body = json.dumps(sheet).encode()
        timed_post(url, header, body)  # warm-up
        timings = {False: [], True: []}
        sent = 0
        for _ in range(args.rounds):
            for enabled in (False, True):
                Endpoint.objects.filter(pk=endpoint.pk).update(active=enabled)
                for _ in range(args.per_round):
                    status, ms = timed_post(url, header, body)
                    assert status == 201, status
                    timings[enabled].append(ms)
                if enabled:
                    sent += args.per_round
                # The relay has read this round's events before the endpoint is switched, so
                # each round's events are relayed under its own condition.
                last = AttemptEvent.objects.order_by("-pk").values_list("pk", flat=True)[0]
                wait_until(
                    lambda last=last: RelayCursor.objects.filter(last_event_id__gte=last).exists(),
                    "the relay",
                )
        delivered = Message.objects.filter(endpoint=endpoint, status="delivered")
        wait_until(lambda: delivered.count() >= sent, "the deliveries")
        assert Receiver.count == delivered.count() == sent
    finally:
        worker.terminate()
        web.terminate()
        worker.wait()
        web.wait()
    off, on = timings[False], timings[True]
    print(
        f"{len(off) + len(on)} submissions of {args.questions} answers, one client, "
        f"{os.environ['DATABASE_URL'].split(':')[0]}; {sent} webhooks delivered"
    )
    for label, values in (("no endpoint", off), ("endpoint enabled", on)):
        print(
            f"  {label:<18} median {statistics.median(values):6.1f} ms   "
            f"p95 {percentile(values, 0.95):6.1f} ms"
        )
    print(
        f"  ratio enabled / none: median {statistics.median(on) / statistics.median(off):.2f}, "
        f"p95 {percentile(on, 0.95) / percentile(off, 0.95):.2f}"
    )


if __name__ == "__main__":
    main()
