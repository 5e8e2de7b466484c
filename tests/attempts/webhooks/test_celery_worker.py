"""A real Celery worker (with beat) on a Redis server of the test's own delivers what the
submissions leave in the outbox, to a real receiver; nothing is called inline."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from standardwebhooks.webhooks import Webhook

from attempts.webhooks.models import Endpoint, Message
from tests import play
from tests.attempts.webhooks.receiver import receiver
from tests.play import NOW

REPO = Path(__file__).resolve().parents[3]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_worker_and_beat_deliver_every_submission(kit, redis_url, tmp_path):
    learners = [kit.enrol(f"w{i}") for i in range(20)]
    with receiver() as hook:
        endpoint = Endpoint.objects.create(
            owner=kit.instructor, url=hook.url, event_types=["attempt.completed"]
        )
        for learner in learners:
            attempt = kit.start(learner)
            play.submit(attempt, now=NOW + timedelta(minutes=5))
        env = {
            **os.environ,
            "CELERY_BROKER_URL": redis_url,
            "DATABASE_URL": database_url(),
            "WEBHOOK_ALLOW_PRIVATE": "1",
            "DB_POOL": "off",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "lms", "worker", "--beat", "--pool", "solo",
             "--schedule", str(tmp_path / "beat"), "--loglevel", "WARNING"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while len(hook.received) < len(learners):
                assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, f"{len(hook.received)} delivered in 60 s"
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        sent = [Webhook(endpoint.secret).verify(body, headers) for headers, body in hook.received]
    assert sorted(m["data"]["user"]["username"] for m in sent) == sorted(
        u.username for u in learners
    )
    assert Message.objects.filter(status="delivered").count() == len(learners)
