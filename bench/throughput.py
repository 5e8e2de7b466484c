"""Throughput under gunicorn: requests/s and p50/p95/p99 with ``wrk`` at several connection
counts, for the Testpress API list (first page), an attempt detail and a submission (a write).

    .venv/bin/python bench/throughput.py \\
        --database-url postgres://postgres@127.0.0.1:5432/lms_1m_scale --connections 8 16 32

It starts gunicorn itself (``lms/gunicorn.conf.py``, production settings with local secrets
as ``make serve`` has them) on a free loopback port, waits for ``/health/``, runs ``wrk`` for
``--seconds`` per surface and connection count, stops gunicorn and prints one table, with the
1-minute load average at the end of each run (the machine is shared). Only 127.0.0.1 is ever
addressed; every run is bounded by ``--seconds``.

It WRITES to the database it is given: the submission surface posts real submissions (each a
new attempt) of the bench's own small assessment (``bench/submissions_load.py``'s setup: a
course "bench-submissions", one learner per connection). Never point it at a shared database;
``--surfaces list detail`` only reads (no setup is written then).

Through PgBouncer in transaction mode: ``DATABASE_POOL_MODE=transaction`` in the environment
and ``--database-url`` naming PgBouncer's port (the server gets this environment).

Tokens are minted in this process with the server's JWT key (no password hashing in setup):
the list and detail as the first superuser (every attempt visible), each submission as one of
the learners, round-robin. ``wrk`` is Debian's package (``apt-get install wrk``).
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The environment of `make serve` (Makefile SERVE_ENV): production settings over plain HTTP.
SERVE_ENV = {
    "SECRET_KEY": "local-serve-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    "JWT_SIGNING_KEY": "local-serve-only-jwt-key-not-a-secret-0123456789abcdefghijklmnop",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "off",
    "SESSION_COOKIE_SECURE": "off",
    "CSRF_COOKIE_SECURE": "off",
    "SECURE_HSTS_SECONDS": "0",
    # No collectstatic needed: the API answers render no page.
    "STATICFILES_MANIFEST": "off",
}

# wrk's Lua: each request picks the next path/token/body from tables this script fills in;
# done() prints the figures as one JSON line (wrk's own report has no p95).
LUA = r"""
local paths = {PATHS}
local tokens = {TOKENS}
local method = "{METHOD}"
local body = {BODY}
local n = 0

function setup(thread)
  thread:set("offset", math.random(1, 1000))
end

function request()
  n = n + 1
  local i = (n + (offset or 0))
  local headers = {}
  headers["Authorization"] = tokens[(i % #tokens) + 1]
  if method == "POST" then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, paths[(i % #paths) + 1], headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def lua_strings(values) -> str:
    return "{" + ", ".join(json.dumps(value) for value in values) + "}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(learners: int, detail_sample: int, *, submit: bool) -> dict:
    """Tokens, attempt ids and the submission's assessment, read (and for the submission,
    written) through the ORM with the server's settings."""
    sys.path[0] = str(REPO)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    import django

    django.setup()
    from attempts.api.submissions import public_ids  # noqa: F401 (loads the app's models)
    from attempts.api.tokens import VersionedSlidingToken
    from attempts.models import Attempt
    from bench.submissions_load import setup as submissions_setup
    from lms.models import User

    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None:
        sys.exit("No superuser in this database (seed_demo makes 'admin').")
    admin_token = f"JWT {VersionedSlidingToken.for_user(admin)}"
    # A sample of attempt ids spread over the whole table: one index probe each.
    highest = Attempt.objects.order_by("-pk").values_list("pk", flat=True).first()
    picks = random.Random(17).sample(range(1, highest + 1), min(detail_sample * 2, highest))
    ids = list(Attempt.objects.filter(pk__in=picks).values_list("pk", flat=True))[:detail_sample]
    if not submit:  # list and detail only read: the database is left as it is
        return {"admin": admin_token, "attempt_ids": ids}
    assessment, sheet, usernames = submissions_setup(20, learners)
    learners = User.objects.filter(username__in=usernames).order_by("username")
    return {
        "admin": admin_token,
        "attempt_ids": ids,
        "assessment": assessment,
        "sheet": sheet,
        "learners": [f"Bearer {VersionedSlidingToken.for_user(u)}" for u in learners],
    }


def start_gunicorn(port: int, env: dict, log) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "lms/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,  # its own process group: stopped whole at the end
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop(server)
    sys.exit("gunicorn did not answer /health/ within 60 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def settle(url: str) -> None:
    """Let gunicorn finish what wrk left in flight when it stopped (up to one request per
    connection, a queue of slow list pages at 32): the next run must not pay for it. A probe
    of /health/ waits behind them; then a pause for the other worker's."""
    with urllib.request.urlopen(f"{url}/health/", timeout=120) as response:
        response.read()
    time.sleep(3)


def run_wrk(url: str, script: Path, connections: int, seconds: int) -> dict:
    """One wrk run; while it runs (its second half), what the machine is busy with."""
    threads = min(2, connections)  # two cores: more wrk threads only take CPU from the server
    wrk = subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
         "-s", str(script), url],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(seconds / 2)
    busy = busiest()
    out, _ = wrk.communicate(timeout=seconds + 60)
    if wrk.returncode:
        sys.exit(f"wrk failed ({wrk.returncode})")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["load"] = os.getloadavg()[0]
    figures["busy"] = busy
    settle(url)
    return figures


# gunicorn's process group and the database's name: told apart from other work on the machine.
SERVER_GROUP = {"id": None, "database": None}


def _cpu_ticks() -> dict[int, tuple[str, int]]:
    """Per process: its command and the CPU ticks (user + system) it has used."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == SERVER_GROUP["id"]:
            command = "gunicorn (measured)"
        elif command == "postgres" and SERVER_GROUP["database"]:
            # A backend's title names its database: ours apart from everyone else's.
            try:
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if f" {SERVER_GROUP['database']} " in title:
                command = "postgres (measured)"
        ticks[int(entry.name)] = (command, int(fields[11]) + int(fields[12]))
    return ticks


def busiest(count: int = 5, seconds: float = 1.0) -> str:
    """What the shared machine is doing now: %CPU per command over ``seconds``, top ``count``
    (100 % = one core)."""
    before = _cpu_ticks()
    time.sleep(seconds)
    after = _cpu_ticks()
    hertz = os.sysconf("SC_CLK_TCK")
    totals = {}
    for pid, (command, used) in after.items():
        spent = used - before.get(pid, (command, used))[1]
        totals[command] = totals.get(command, 0) + spent / hertz / seconds * 100
    top = sorted(totals.items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{command} {cpu:.0f}%" for command, cpu in top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/lms_1m_scale")
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--threads", type=int, default=4, help="GUNICORN_THREADS")
    parser.add_argument("--surfaces", nargs="+", default=["list", "detail", "submit"])
    parser.add_argument("--detail-sample", type=int, default=1000)
    parser.add_argument(
        "--learners",
        type=int,
        default=500,
        help="learners the submissions take turns over: with as few as connections, two "
        "requests of one learner often run at once and wait on each other's locks (by design: "
        "the attempt limit), and each learner piles up attempts run after run",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    env = {
        **{k: v for k, v in os.environ.items() if k != "DEBUG"},
        **SERVE_ENV,
        "DATABASE_URL": args.database_url,
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
    }
    env.pop("DB_POOL_MAX_SIZE", None)  # the default: one connection per thread
    os.environ.clear()
    os.environ.update(env)
    data = prepare(args.learners, args.detail_sample, submit="submit" in args.surfaces)
    from django.conf import settings

    database = settings.DATABASES["default"]
    pool = database.get("OPTIONS", {}).get("pool") or (
        f"none (CONN_MAX_AGE {database.get('CONN_MAX_AGE')}, server-side cursors "
        f"{'off' if database.get('DISABLE_SERVER_SIDE_CURSORS') else 'on'})"
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    surfaces = {
        "list": ("GET", ["/api/v2.5/admin/attempts/"], [data["admin"]], None),
        "detail": (
            "GET",
            [f"/api/v2.5/admin/attempts/{pk}/" for pk in data["attempt_ids"]],
            [data["admin"]],
            None,
        ),
    }
    if "assessment" in data:
        surfaces["submit"] = (
            "POST",
            [f"/api/v1/assessments/{data['assessment']}/submissions"],
            data["learners"],
            json.dumps(data["sheet"]),
        )
    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    scripts = {}
    for name in args.surfaces:
        method, paths, tokens, body = surfaces[name]
        script = work / f"{name}.lua"
        script.write_text(
            LUA.replace("{PATHS}", lua_strings(paths))
            .replace("{TOKENS}", lua_strings(tokens))
            .replace("{METHOD}", method)
            .replace("{BODY}", "nil" if body is None else json.dumps(body))
        )
        scripts[name] = script

    log = (work / "gunicorn.log").open("w")
    server = start_gunicorn(port, env, log)
    SERVER_GROUP["id"] = server.pid
    SERVER_GROUP["database"] = settings.DATABASES["default"]["NAME"]
    rows = []
    try:
        for name in args.surfaces:
            # Warm-up, not counted: every worker thread's connection, caches, the code paths.
            run_wrk(base, scripts[name], max(args.connections), min(5, args.seconds))
            for connections in args.connections:
                figures = run_wrk(base, scripts[name], connections, args.seconds)
                rows.append((name, connections, figures))
                print(f"  {name} c={connections}: {figures}", flush=True)
    finally:
        stop(server)
        log.close()

    print(
        f"\ngunicorn: {args.workers} workers × {args.threads} threads (gthread); psycopg pool "
        f"per worker: {pool}; wrk -t2, {args.seconds} s a run, loopback; "
        f"{len(data['attempt_ids'])} attempt ids for the detail, "
        f"{len(data.get('learners', []))} learners for the submissions (20 answers each)\n"
    )
    print(
        "| surface | connections | requests/s | p50 ms | p95 ms | p99 ms | non-2xx | load 1 min |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, connections, f in rows:
        rate = f["requests"] / (f["duration_us"] / 1e6)
        print(
            f"| {name} | {connections} | {rate:.1f} | {f['p50_us'] / 1000:.0f} "
            f"| {f['p95_us'] / 1000:.0f} | {f['p99_us'] / 1000:.0f} "
            f"| {f['non_2xx'] + f['socket_errors']} | {f['load']:.1f} |"
        )
    print("\nBusiest commands during each run (%CPU over 1 s mid-run, 100 % = one core):")
    for name, connections, figures in rows:
        print(f"  {name} c={connections}: {figures['busy']}")
    print(f"\ngunicorn's log: {log.name}")


if __name__ == "__main__":
    main()
