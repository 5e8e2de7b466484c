"""Production-like serving: collectstatic, then gunicorn (lms/gunicorn.conf.py) on a free port
serves /health/ and a hashed, compressed static file through WhiteNoise."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

REPO = Path(__file__).resolve().parents[2]


def fetch(url: str, **headers):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture
def environ(tmp_path):
    """The test settings (pytest-env) with production static files and a database of its own."""
    environ = dict(os.environ)
    environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    environ.update(
        DEBUG="off",  # as served: a shell's DEBUG=1 would make whitenoise skip "immutable"
        STATICFILES_MANIFEST="on",
        STATIC_ROOT=str(tmp_path / "static"),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
    )
    if not environ.get("DATABASE_URL", "").startswith("postgres"):
        environ["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return environ


def test_gunicorn_serves_health_and_hashed_static_files(environ, tmp_path):
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=REPO,
        env=environ,
        check=True,
        timeout=120,
    )
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/app.css"]
    assert hashed != "css/app.css"

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "lms/gunicorn.conf.py"]
    server = subprocess.Popen(
        [*gunicorn, "--bind", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, body = fetch(f"{url}/health/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                time.sleep(0.2)
        assert status == 200
        assert json.loads(body)["status"] == "ok"

        status, headers, body = fetch(f"{url}/static/{hashed}", **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]  # hashed: cached for ever
    finally:
        server.terminate()
        server.wait(timeout=30)
