"""Benchmark: the exam summary and the courses page from the stored sums (``attempts.tallies``),
on a large database (issue 17's goal: under 300 ms at 400k attempts in one exam).

Read-only on a database whose tallies are counted (migrated with the stored sums, or
``manage.py verify_exam_sums --fix`` after a bulk load), e.g. a copy of the 1M database:

    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_1m_sums
    .venv/bin/python bench/exam_summary.py --repeat 7

Times, warm, the median of ``--repeat`` runs of: ``exam_summary`` of the exam with the most
attempts (``--exam`` another), its summary page and the courses page through Django's test
client as the first admin, and beside them the same figures from the attempt rows (what
every request paid before the stored sums): the courses page's grouped query over all
attempts (``exam_overviews`` with an attempt filter) and the summary's former queries
(``summary_from_rows``: the state counts, the median slice, the histogram and the answers
grouped by question). Prints the queries each surface runs.

One run on a copy of the 1M database taken at 645k attempts (its largest exam: 274k; load
average about 10 on 2 cores), median of 5, seconds:

                        surface  queries  median
          exam_summary (stored)        5   0.038
          summary page (stored)        8   0.110
          courses page (stored)        5   0.069
        exam_overviews (stored)        1   0.012
      summary aggregates (rows)        4  13.471
          exam_overviews (rows)        1   0.691
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

from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Q, Sum  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from assessments.models import Exam  # noqa: E402
from attempts.models import Attempt, UserAnswer  # noqa: E402
from attempts.statistics.exam import WIDE_MARKS, exam_overviews, exam_summary  # noqa: E402
from bench.timing import timed  # noqa: E402
from lms.models import User  # noqa: E402

State = Attempt.State


def summary_from_rows(exam) -> None:
    """The four aggregates the summary ran over the attempt and answer rows before the
    stored sums (the other queries are the same)."""
    completed = Q(state=State.COMPLETED)
    totals = Attempt.objects.filter(exam_id=exam.pk).aggregate(
        **{f"s{state.value}": Count("pk", filter=Q(state=state)) for state in State},
        score_sum=Sum("score", filter=completed, output_field=WIDE_MARKS),
        passed=Count("pk", filter=completed & Q(passed=True)),
        highest=Max("score", filter=completed),
    )
    done = totals[f"s{State.COMPLETED.value}"]
    rows = Attempt.objects.filter(exam_id=exam.pk, state=State.COMPLETED).order_by("score", "id")
    list(rows.values_list("score", flat=True)[(done - 1) // 2 : done // 2 + 1])
    list(
        Attempt.objects.filter(exam_id=exam.pk, state=State.COMPLETED)
        .values("percentage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    list(
        UserAnswer.objects.filter(attempt__exam_id=exam.pk, attempt__state=State.COMPLETED)
        .values("exam_question_id", "result")
        .annotate(n=Count("pk"), marks=Sum("marks_awarded", output_field=WIDE_MARKS))
        .order_by()
    )


def queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--exam", type=int)
    args = parser.parse_args()
    exams = Exam.objects.all()
    exam = (
        exams.get(pk=args.exam)
        if args.exam
        else exams.annotate(n=Count("attempts")).order_by("-n").first()
    )
    attempts = Attempt.objects.filter(exam=exam).count()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    client = Client()
    client.force_login(admin)
    every_exam = list(Exam.objects.all())

    def get(url):
        assert client.get(url).status_code == 200

    surfaces = [
        ("exam_summary (stored)", lambda: exam_summary(exam)),
        ("summary page (stored)", lambda: get(reverse("exam-summary", args=[exam.pk]))),
        ("courses page (stored)", lambda: get(reverse("courses"))),
        ("exam_overviews (stored)", lambda: exam_overviews(every_exam)),
        ("summary aggregates (rows)", lambda: summary_from_rows(exam)),
        ("exam_overviews (rows)", lambda: exam_overviews(every_exam, Q(pk__isnull=False))),
    ]
    print(f"{connection.vendor}; exam {exam.pk}: {attempts} attempts; {len(every_exam)} exams")
    print(f"{'surface':>27} {'queries':>8} {'median s':>9}")
    for name, function in surfaces:
        count = queries(function)
        print(f"{name:>27} {count:>8} {timed(function, args.repeat):>9.3f}", flush=True)


if __name__ == "__main__":
    main()
