"""Benchmark: the attempt list's CSV export of the largest exam, against its own minimal SQL;
and the export job (``attempts.export_jobs``) of the same exam, XLSX and CSV.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_1m DEBUG=1 \\
        .venv/bin/python bench/export_1m.py [--repeat 3] [--xlsx] [--no-jobs]

The CSV: it signs in the first admin account and, for the exam with the most attempts,
requests ``/exams/<id>/attempts/?export=csv`` through Django's test client (CSV thresholds
raised so that it streams, as by default up to 1M rows) and reads the whole streamed body
(never holding it), ``--repeat`` times after a warm-up: the median seconds, the queries of
one request, and the peak of Python allocations in a separate request (``tracemalloc`` slows
Python, so it is never timed). The minimal SQL is the export's own SELECT (exactly the
columns it writes, in its order) streamed from a server-side cursor in chunks of 2,000 rows
on a raw cursor (timestamps decoded in C), with nothing done to the rows: the database and
driver part of the export. Flat memory: the peak at the smallest exam is about the peak at
the largest.

The jobs: an ``ExportJob`` of the admin's for the largest exam (every attempt), run once in
this process by ``export_job_run`` as the Celery task runs it: its seconds, queries and the
peak growth of the process's resident memory over the run (sampled every 20 ms: tracemalloc
would slow the XLSX writer for minutes), beside the same at the smallest exam (flat memory).
The files go to a temporary MEDIA_ROOT; the jobs are deleted afterwards (the only writes).

``surfaces()`` returns the rows of ``make bench``'s table.

The CSV request is measured twice in one run: written by PostgreSQL's COPY (the path on
PostgreSQL) and by the Python path (``--no-compare`` leaves it out), for the ratio under the
same load. ``--csv-job-only`` skips the XLSX job (minutes).

Last measured on a copy of the 1M database (408,208 rows at the largest exam, 98,889 at the
smallest), twice, load average 2.4 to 6.6 on 2 cores: CSV request 3.8 / 4.9 s by COPY,
12.1 / 9.7 s by the Python path in the same runs (minimal SQL 7.1 / 5.4 s, COPY of the raw
columns 4.1 / 2.8 s); peak Python memory 0.5 MiB by COPY at both sizes (10.2 MiB by Python);
CSV job 7.7 s (before its spool) / 5.5 s, peak RSS growth 2.7 / 2.4 MiB (3.2 / 2.8 at the
smallest). Before (load 7-11): XLSX job 521.7 s (778 rows/s).
"""

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from attempts.export_jobs import export_job_run  # noqa: E402
from attempts.models import Attempt, ExportJob  # noqa: E402
from attempts.web import exports  # noqa: E402
from attempts.web.exports import ATTEMPT_FIELDS, _timestamps_loaded_in_c  # noqa: E402
from lms import access  # noqa: E402
from lms.models import User  # noqa: E402

GOAL_SECONDS = 10
CHUNK = 2000
# The test client talks plain HTTP to "testserver"; the export streams whatever its size.
CLIENT_SETTINGS = {
    "ALLOWED_HOSTS": ["*"],
    "SECURE_SSL_REDIRECT": False,
    "EXPORT_CSV_BACKGROUND_ABOVE": 10**9,
}


def exams_by_size(alias: str) -> list[tuple[int, int]]:
    """(exam id, attempts), largest first."""
    rows = (
        Attempt.objects.using(alias)
        .values_list("exam_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "exam_id")
    )
    return list(rows)


def export_queryset(user, exam_id: int, alias: str):
    """What the page exports with no filter: the reviewer's attempts of the exam, newest
    first (the table's default order), as tuples of the exported columns."""
    return (
        Attempt.objects.using(alias)
        .reviewable_by(user)
        .filter(exam_id=exam_id)
        .order_by("-started_at", "-id")
        .values_list(*ATTEMPT_FIELDS)
    )


def minimal_sql(queryset, alias: str) -> float:
    """Seconds to stream the export's own SELECT through a server-side cursor."""
    sql, params = queryset.query.sql_with_params()
    connection = connections[alias]
    connection.ensure_connection()
    started = time.perf_counter()
    # A named cursor lives in a transaction; timestamps decoded by psycopg's C loader, as the
    # export reads them (Django's own loader parses each one in Python).
    with _timestamps_loaded_in_c(connection), connection.connection.transaction():
        raw = connection.connection.cursor(name="bench_export")
        raw.itersize = CHUNK
        raw.execute(sql, params)
        while raw.fetchmany(CHUNK):
            pass
        raw.close()
    return time.perf_counter() - started


def request(client: Client, url: str) -> tuple[float, int, int]:
    """Seconds, bytes and queries of one export, the body read as it streams."""
    with CaptureQueriesContext(connections["default"]) as queries:
        started = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        size = sum(len(block) for block in response.streaming_content)
        seconds = time.perf_counter() - started
    return seconds, size, len(queries)


def peak_mib(client: Client, url: str) -> float:
    tracemalloc.start()
    try:
        response = client.get(url)
        for _ in response.streaming_content:
            pass
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def resident_mib() -> float:
    """The process's resident memory now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_job(admin, exam_id: int, file_format: str, alias: str) -> dict:
    """One export job of every attempt of ``exam_id``, run here as the task runs it: seconds,
    queries, rows, file size, and the peak growth of resident memory over the run."""
    job = ExportJob.objects.using(alias).create(
        requested_by=admin, exam_id=exam_id, format=file_format, time_zone="UTC"
    )
    baseline, peak, running = resident_mib(), [0.0], True

    def sample():
        while running:
            peak[0] = max(peak[0], resident_mib() - baseline)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with CaptureQueriesContext(connections[alias]) as queries:
            started = time.perf_counter()
            job = export_job_run(job_id=job.pk)
            seconds = time.perf_counter() - started
    finally:
        running = False
        sampler.join()
    assert job.state == ExportJob.State.DONE, job.error
    size = job.file.size
    job.file.delete(save=False)
    job.delete()
    return {
        "seconds": seconds,
        "queries": len(queries),
        "rows": job.rows_done,
        "megabytes": round(size / 2**20, 1),
        "peak_mib": round(peak[0], 1),
    }


def _job_in_child(admin_pk: int, exam_id: int, file_format: str, media: str, alias: str):
    with override_settings(MEDIA_ROOT=media):
        return run_job(User.objects.using(alias).get(pk=admin_pk), exam_id, file_format, alias)


def run_job_alone(admin, exam_id: int, file_format: str, media: str, alias: str) -> dict:
    """``run_job`` in a new process (as a worker runs one task): its memory growth is the
    job's own, not hidden by what this process allocated and freed before."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_job_in_child, (admin.pk, exam_id, file_format, media, alias))


def job_rows(admin, sizes, alias: str, sql: float, formats=("xlsx", "csv")) -> list[dict]:
    """The rows of the export jobs: XLSX and CSV of the largest exam, with the smallest's
    peak beside (flat memory)."""
    (exam_id, rows), (small_id, small_rows) = sizes[0], sizes[-1]
    media = tempfile.mkdtemp(prefix="bench-exports-")
    found = []
    try:
        for file_format in formats:
            small = run_job_alone(admin, small_id, file_format, media, alias)
            large = run_job_alone(admin, exam_id, file_format, media, alias)
            found.append(
                {
                    "surface": f"{file_format.upper()} export job, one exam ({rows:,} rows)",
                    "queries": large["queries"],
                    "median_ms": round(large["seconds"] * 1000),
                    "sql_ms": round(sql * 1000),
                    "ratio": round(large["seconds"] / sql, 1),
                    "goal": "flat memory (RSS growth)",
                    "met": large["peak_mib"] < 2 * small["peak_mib"] + 32,
                    "rows": large["rows"],
                    "megabytes": large["megabytes"],
                    "peak_mib": large["peak_mib"],
                    "small_rows": small_rows,
                    "small_peak_mib": small["peak_mib"],
                    "rows_per_second": round(large["rows"] / large["seconds"]),
                }
            )
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return found


@contextmanager
def python_path(python: bool):
    """With ``python``: the CSV written in Python from the rows (``attempt_rows``), as on
    SQLite, instead of by PostgreSQL's COPY: the path before COPY, for the ratio."""
    if not python:
        yield
        return
    copies_csv = exports.copies_csv
    exports.copies_csv = lambda alias, zone: False
    try:
        yield
    finally:
        exports.copies_csv = copies_csv


def measure_csv(client, exam_id, small_id, repeat: int, python: bool) -> dict:
    """The CSV request of the largest exam: runs (seconds, bytes, queries) and the peaks
    of Python memory at the largest and the smallest exam."""
    url = f"/exams/{exam_id}/attempts/?export=csv"
    with override_settings(**CLIENT_SETTINGS), python_path(python):
        request(client, url)  # warm-up: imports, caches, the pool
        runs = [request(client, url) for _ in range(repeat)]
        peak = peak_mib(client, url)
        small_peak = peak_mib(client, f"/exams/{small_id}/attempts/?export=csv")
    return {"runs": runs, "peak": peak, "small_peak": small_peak}


def copy_sql(queryset, alias: str) -> float:
    """Seconds to COPY the export's own SELECT (its raw columns, no cell made text) out
    as CSV, read and dropped: the database part of the COPY path."""
    sql, params = queryset.query.sql_with_params()
    connection = connections[alias]
    connection.ensure_connection()
    started = time.perf_counter()
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    with connection.connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        while copy.read():
            pass
    return time.perf_counter() - started


def measure(
    database_alias: str = "default",
    repeat: int = 3,
    xlsx: bool = False,
    jobs: bool = True,
    compare: bool = True,
    job_formats=("xlsx", "csv"),
) -> list[dict]:
    admin = User.objects.using(database_alias).filter(access.admin_accounts()).order_by("pk")[0]
    sizes = exams_by_size(database_alias)
    (exam_id, rows), (small_id, small_rows) = sizes[0], sizes[-1]
    client = Client()
    client.force_login(admin)
    paths = [("COPY", False)] + ([("Python", True)] if compare else [])
    measured = {name: measure_csv(client, exam_id, small_id, repeat, py) for name, py in paths}
    xlsx_seconds = None
    if xlsx:
        with override_settings(**CLIENT_SETTINGS):
            xlsx_seconds = request(client, f"/exams/{small_id}/attempts/?export=xlsx")[0]
    queryset = export_queryset(admin, exam_id, database_alias)
    minimal_sql(queryset, database_alias)  # warm the cache as the export's warm-up did
    sql = statistics.median(minimal_sql(queryset, database_alias) for _ in range(repeat))
    copied = statistics.median(copy_sql(queryset, database_alias) for _ in range(repeat))
    found = []
    for name, _ in paths:
        runs, peak, small_peak = (measured[name][key] for key in ("runs", "peak", "small_peak"))
        seconds = statistics.median(run[0] for run in runs)
        found.append(
            {
                "surface": f"CSV export, one exam ({rows:,} rows), {name} path",
                "queries": runs[0][2],
                "median_ms": round(seconds * 1000),
                "sql_ms": round(sql * 1000),
                "ratio": round(seconds / sql, 1),
                "goal": f"< {GOAL_SECONDS} s, flat memory",
                "met": seconds < GOAL_SECONDS and peak < 2 * small_peak + 16,
                # Beyond make bench's columns:
                "copy_sql_ms": round(copied * 1000),
                "rows": rows,
                "megabytes": round(runs[0][1] / 2**20, 1),
                "peak_mib": round(peak, 1),
                "small_rows": small_rows,
                "small_peak_mib": round(small_peak, 1),
                "xlsx_seconds": xlsx_seconds,
            }
        )
    if jobs:
        found += job_rows(admin, sizes, database_alias, sql, job_formats)
    return found


def surfaces(database_alias: str = "default") -> list[dict]:
    """Rows for ``make bench``: surface, queries, median_ms, sql_ms, ratio, goal, met."""
    keys = ("surface", "queries", "median_ms", "sql_ms", "ratio", "goal", "met")
    found = []
    for row in measure(database_alias):
        kept = {key: row[key] for key in keys}
        # The table has no memory column: the peaks (largest / smallest exam) go with the goal.
        kept["goal"] += f" (peak {row['peak_mib']} / {row['small_peak_mib']} MiB)"
        found.append(kept)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--xlsx", action="store_true", help="also time the smallest exam's XLSX")
    parser.add_argument("--no-jobs", action="store_true", help="the CSV request only")
    parser.add_argument("--no-compare", action="store_true", help="not the Python path too")
    parser.add_argument("--csv-job-only", action="store_true", help="no XLSX job (minutes)")
    args = parser.parse_args()
    rows = measure(
        repeat=args.repeat,
        xlsx=args.xlsx,
        jobs=not args.no_jobs,
        compare=not args.no_compare,
        job_formats=("csv",) if args.csv_job_only else ("xlsx", "csv"),
    )
    for row in rows:
        if "job" in row["surface"]:
            print(
                f"{row['surface']}: {row['median_ms'] / 1000:.1f} s (one run), "
                f"{row['rows_per_second']:,} rows/s, {row['megabytes']} MB, "
                f"{row['queries']} queries; ratio to the CSV's minimal SQL {row['ratio']}x; "
                f"peak RSS growth {row['peak_mib']} MiB ({row['small_peak_mib']} MiB at "
                f"{row['small_rows']:,} rows): {'met' if row['met'] else 'NOT met'}"
            )
            continue
        print(
            f"{row['surface']}: {row['median_ms'] / 1000:.1f} s (median of {args.repeat}), "
            f"{row['megabytes']} MB, {row['queries']} queries; minimal SQL "
            f"{row['sql_ms'] / 1000:.1f} s, ratio {row['ratio']}x (COPY of the raw columns "
            f"{row['copy_sql_ms'] / 1000:.1f} s); peak Python memory "
            f"{row['peak_mib']} MiB ({row['small_peak_mib']} MiB at {row['small_rows']:,} rows); "
            f"goal {row['goal']}: {'met' if row['met'] else 'NOT met'}"
        )
        if row["xlsx_seconds"] is not None and "COPY" in row["surface"]:
            print(f"XLSX of {row['small_rows']:,} rows: {row['xlsx_seconds']:.1f} s")


if __name__ == "__main__":
    main()
