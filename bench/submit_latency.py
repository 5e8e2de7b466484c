"""Benchmark: what the stored sums (``attempts.tallies``) add to one submission.

Times ``attempts.services.attempt_submit_answers`` (the submissions API's service: a whole
answer sheet scored and stored at once) for ``--submits`` new learners, alternately with the
move of the stored sums on and off (off: ``attempts.services.moving`` replaced by a context
that does nothing), so both halves run under the same load; prints the median and p90 of
each and their difference. Every submission is rolled back (nothing stays in the database),
so it runs on any migrated database with an exam that has attempts, e.g. the demo's:

    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_sums_bench
    .venv/bin/python bench/submit_latency.py --submits 200

``--exam`` picks the exam (default: the one with the most attempts); the learners are
enrolled in its course inside each rolled-back transaction.

One run on a copy of the 1M database (exam of 274k attempts, 14 answers a sheet; load
average 10 to 14 on 2 cores, where each statement costs 15 to 20 ms): median 232 ms without
the sums, 372 ms with them (p90 329 / 523 ms): +140 ms, the 7 statements a first completed
submission adds (lock and re-read the learner's attempts, their answers and picks grouped,
three upserts). Before that copy was analysed, the picks' grouped query was planned as a
scan of 18M rows (2.8 s); it now goes through the answers' ids.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import os  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

import statistics  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import timedelta  # noqa: E402

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessments.models import AnswerChoice, Exam, ExamQuestion  # noqa: E402
from attempts import services  # noqa: E402
from lms.models import Enrollment, User  # noqa: E402


class Rollback(Exception):
    """Raised at the end of each timed submission to roll it back."""


@contextmanager
def no_move(scope):
    yield


def sheet(exam: Exam) -> list:
    """An answer to every choice question of the exam: its first choice."""
    placed = ExamQuestion.objects.filter(exam=exam).select_related("question")
    first = {}
    for choice in AnswerChoice.objects.filter(
        question__in=[p.question_id for p in placed]
    ).order_by("question_id", "order", "id"):
        first.setdefault(choice.question_id, choice.pk)
    return [
        services.GivenAnswer(question=p.question.uuid, choice_ids=(first[p.question_id],))
        for p in placed
        if p.question_id in first
    ]


def one_submit(exam: Exam, answers: list, index: int, *, move: bool) -> float:
    """Seconds of one submission by a new learner, rolled back afterwards."""
    original = services.moving
    services.moving = services.moving if move else no_move
    try:
        with transaction.atomic():
            user = User.objects.create(username=f"latency-{index}-{time.time_ns()}")
            Enrollment.objects.create(
                user=user, course_id=exam.course_id, enrolled_at=timezone.now() - timedelta(days=1)
            )
            start = time.perf_counter()
            services.attempt_submit_answers(user=user, exam=exam, answers=answers)
            elapsed = time.perf_counter() - start
            raise Rollback
    except Rollback:
        return elapsed
    finally:
        services.moving = original


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--exam", type=int)
    args = parser.parse_args()
    exams = Exam.objects.filter(status=Exam.Status.PUBLISHED)
    exam = (
        exams.get(pk=args.exam)
        if args.exam
        else exams.annotate(n=Count("attempts")).order_by("-n").first()
    )
    # An exam window that is open now, inside the rolled-back transactions only.
    exam.opens_at, exam.closes_at, exam.max_attempts = None, None, None
    answers = sheet(exam)
    on, off = [], []
    for i in range(args.submits):
        (on if i % 2 else off).append(one_submit(exam, answers, i, move=bool(i % 2)))
    print(f"{connection.vendor}, exam {exam.pk} ({len(answers)} answers), {args.submits} submits")
    for name, samples in (("without the sums", off), ("with the sums", on)):
        q = statistics.quantiles(samples, n=10)
        print(
            f"{name:>17}: median {1000 * statistics.median(samples):7.2f} ms, p90 {1000 * q[-1]:7.2f} ms"
        )
    added = statistics.median(on) - statistics.median(off)
    print(f"{'added':>17}: {1000 * added:7.2f} ms per submission (median)")


if __name__ == "__main__":
    main()
