"""``make bench``: the 1M-attempt benchmark on PostgreSQL, as one table.

It builds the database when it is missing or short of attempts (``createdb``, ``migrate``,
``seed_demo --learners 80000 --attempts 1000000``, timed as a row of the table), migrates it
when the code is ahead (a no-op otherwise), then measures every surface that a
``bench/*_1m.py`` module offers through its ``surfaces()``: surface, queries, median, the
request's own database time, its minimal SQL, the ratio and the goal met or not.

    make bench                                    # BENCH_DATABASE_URL, default lms_bench
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_1m make bench
    .venv/bin/python bench/run.py --only pages --walk   # one module; walk iSpring's pages

The database is never written to by the measurements, except for a benchmark API client that
is deleted at the end; it is set to ``jit = off``, as the README's Deploy section advises.
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lms_bench"
MODULES = ("pages_1m", "lists_1m", "export_1m")
SEED_GOAL_S = 600  # issue 17: the generator in under 10 minutes


def manage(*args: str, env: dict) -> float:
    """Run ``manage.py`` with ``args``; seconds taken."""
    start = time.monotonic()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True)
    return time.monotonic() - start


def ensure_database(url: str, *, attempts: int, learners: int, env: dict) -> dict | None:
    """Create, migrate and fill the database as needed; the seed's row when it ran."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            server.execute(f'CREATE DATABASE "{name}"')
        # As the README's Deploy section advises: a costly plan would JIT-compile (about 1 s)
        # for a statement that runs in tens of milliseconds. New sessions take it.
        server.execute(f'ALTER DATABASE "{name}" SET jit = off')
    manage("migrate", "--no-input", "-v", "0", env=env)
    with psycopg.connect(url) as database:
        have = database.execute("SELECT count(*) FROM attempts_attempt").fetchone()[0]
    if have >= attempts:
        print(f"Reusing {name}: {have:,} attempts.", flush=True)
        return None
    print(f"Building {name}: {have:,} attempts, {attempts:,} wanted.", flush=True)
    seconds = manage("seed_demo", "--learners", str(learners), "--attempts", str(attempts), env=env)
    return {
        "surface": f"seed_demo --attempts {attempts:,} --learners {learners:,}",
        "queries": None,
        "median_ms": round(seconds * 1000),
        "db_ms": None,
        "sql_ms": None,
        "ratio": None,
        "goal": f"< {SEED_GOAL_S} s",
        "met": seconds < SEED_GOAL_S,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1_000_000)
    # 50,000 learners hold only ~645k attempts under the exams' attempt limits.
    parser.add_argument("--learners", type=int, default=80_000)
    parser.add_argument("--only", choices=[m.removesuffix("_1m") for m in MODULES])
    parser.add_argument("--walk", action="store_true", help="walk every iSpring page")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit("The benchmark runs on PostgreSQL: set BENCH_DATABASE_URL.")
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    os.environ.update(DATABASE_URL=url, DEBUG="1", DJANGO_SETTINGS_MODULE="lms.settings")
    rows = []
    seeded = ensure_database(url, attempts=args.attempts, learners=args.learners, env=env)
    if seeded:
        rows.append(seeded)

    import django

    django.setup()
    from bench.surface import table

    for module_name in MODULES:
        if args.only and module_name != f"{args.only}_1m":
            continue
        try:
            module = importlib.import_module(f"bench.{module_name}")
        except ModuleNotFoundError as missing:
            if missing.name != f"bench.{module_name}":
                raise
            continue
        print(f"Measuring {module_name} ...", flush=True)
        kwargs = {"walk": True} if args.walk and module_name == "pages_1m" else {}
        for row in module.surfaces(**kwargs):
            row.setdefault("sql_ms", row.pop("min_sql_ms", None))
            rows.append(row)
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
