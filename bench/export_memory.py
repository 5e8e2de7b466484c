"""Benchmark: peak memory of the attempt list's CSV and XLSX exports, at 10k and 100k rows.

    DATABASE_URL=postgres://... DEBUG=1 .venv/bin/python bench/export_memory.py --rows 100000

Makes (once, reused on later runs) a course, an instructor and an exam with ``--rows``
completed attempts spread over 1,000 learners, written with ``bulk_create`` (the numbers do
not come from the services: this measures the export, not scoring). Then, for each format and
each size (the exam's first 10k rows by a score filter, and all), requests the export through
Django's test client as the instructor, reads the whole streamed body, and reports the time,
the bytes, and the peak of Python allocations during the request (``tracemalloc``, which
also slows Python several times: the seconds are not the export's real speed). Flat memory
means the 100k peak is about the 10k peak: rows are read in chunks and written as they come,
never held all at once. The first request of a run also pays for imports and warm-up.
"""

import argparse
import os
import sys
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessments.models import Exam  # noqa: E402
from attempts.models import Attempt  # noqa: E402
from lms.models import Course, User  # noqa: E402

TITLE = "Export memory bench"
LEARNERS = 1000


def exam_with(rows: int) -> tuple[Exam, User]:
    instructor, _ = User.objects.get_or_create(username="bench-export-teacher")
    exam = Exam.objects.filter(title=TITLE).first()
    if exam is not None and exam.attempts.count() == rows:
        return exam, instructor
    if exam is not None:
        Attempt.objects.filter(exam=exam).delete()
        exam.delete()
    course, _ = Course.objects.get_or_create(slug="bench-export", defaults={"title": TITLE})
    course.instructors.add(instructor)
    exam = Exam.objects.create(course=course, title=TITLE, duration=timedelta(minutes=60))
    learners = list(User.objects.filter(username__startswith="bench-export-l"))
    if not learners:
        learners = User.objects.bulk_create(
            User(
                username=f"bench-export-l{i}", email=f"b{i}@example.com", display_name=f"Lærner {i}"
            )
            for i in range(LEARNERS)
        )
    start = timezone.now() - timedelta(days=30)
    batch = []
    for n in range(rows):
        learner = learners[n % len(learners)]
        at = start + timedelta(seconds=n)
        score = Decimal(n % 10)
        batch.append(
            Attempt(
                user=learner,
                exam=exam,
                attempt_number=n // len(learners) + 1,
                state=Attempt.State.COMPLETED,
                started_at=at,
                completed_at=at + timedelta(minutes=40),
                deadline_at=at + timedelta(minutes=60),
                total_questions=24,
                correct_count=int(score),
                unanswered_count=24 - int(score),
                score=score,
                max_score=Decimal(24),
                percentage=(score * 100 / 24).quantize(Decimal("0.01")),
                passed=score >= 5,
            )
        )
        if len(batch) == 5000:
            Attempt.objects.bulk_create(batch)
            batch = []
    Attempt.objects.bulk_create(batch)
    return exam, instructor


def measure(client: Client, url: str) -> tuple[float, int, float]:
    tracemalloc.start()
    began = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    size = sum(len(block) for block in response.streaming_content)
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, size, peak / 2**20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,xlsx", help="comma-separated: csv, xlsx")
    args = parser.parse_args()
    exam, instructor = exam_with(args.rows)
    client = Client()
    client.force_login(instructor)
    base = f"/exams/{exam.pk}/attempts/"
    # Scores cycle 0..9: score_max=0 keeps a tenth of the rows (10k of 100k).
    sizes = {f"{args.rows // 10000}k": "score_max=0&", f"{args.rows // 1000}k": ""}
    print(f"{'format':<6} {'rows':>6} {'seconds':>8} {'MB out':>8} {'peak MiB':>9}")
    for export in args.formats.split(","):
        for label, query in sizes.items():
            seconds, size, peak = measure(client, f"{base}?{query}export={export}")
            print(f"{export:<6} {label:>6} {seconds:8.1f} {size / 2**20:8.1f} {peak:9.1f}")


if __name__ == "__main__":
    main()
