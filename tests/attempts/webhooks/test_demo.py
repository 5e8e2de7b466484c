"""``make demo`` delivers webhooks without Redis: it starts ``manage.py deliver_webhooks`` in the
background and stops it when runserver exits. Played with a stand-in for the venv's python that
logs each command (runserver returns at once, deliver_webhooks would run for a minute)."""

import os
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

STAND_IN = """#!/bin/sh
echo "$$ DEBUG=$DEBUG WEBHOOK_ALLOW_PRIVATE=$WEBHOOK_ALLOW_PRIVATE $*" >> "{log}"
case "$*" in
  *deliver_webhooks*) exec sleep 60 ;;
  *runserver*) sleep 0.5 ;;
esac
"""


def running(pid: int) -> bool:
    """Alive and not a zombie (a reparented child may stay unreaped in a container)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_make_demo_runs_the_delivery_in_the_background_and_stops_it(tmp_path):
    log = tmp_path / "commands.log"
    python = tmp_path / "python"
    python.write_text(STAND_IN.format(log=log))
    python.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "WEBHOOK_ALLOW_PRIVATE")}
    started = time.monotonic()
    subprocess.run(
        ["make", "--no-print-directory", "demo", f"PY={python}", "STAMP="],
        cwd=REPO,
        env=env,
        check=True,
        timeout=30,
        capture_output=True,
    )
    assert time.monotonic() - started < 30  # make did not wait for the delivery loop
    lines = [line.split(" ", 1) for line in log.read_text().splitlines()]
    commands = [command for _, command in lines]
    assert commands[:2] == [
        "DEBUG=1 WEBHOOK_ALLOW_PRIVATE= manage.py migrate --no-input",
        "DEBUG=1 WEBHOOK_ALLOW_PRIVATE= manage.py seed_demo",
    ]
    assert sorted(commands[2:]) == [
        "DEBUG=1 WEBHOOK_ALLOW_PRIVATE= manage.py runserver 127.0.0.1:8000",
        "DEBUG=1 WEBHOOK_ALLOW_PRIVATE=1 manage.py deliver_webhooks",
    ]
    delivering = next(int(pid) for pid, command in lines if "deliver_webhooks" in command)
    deadline = time.monotonic() + 5
    while running(delivering) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(delivering)
