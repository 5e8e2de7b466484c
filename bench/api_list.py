"""Benchmark: the admin attempts list endpoint against the plain SQL of the same page.

Run on a large data set, e.g.:

    DEBUG=1 .venv/bin/python manage.py seed_demo --learners 20000 --attempts 100000
    DEBUG=1 .venv/bin/python bench/api_list.py --repeat 20

For each case it times the full request (JWT auth, filters, count, page, serialization,
JSON rendering) through Django's test client, then the two SQL statements the page needs
(COUNT and the page of rows joined with users) run by hand on a raw cursor, and prints the
ratio. The ratio is the price of the framework over the database work.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from assessments.models import Exam  # noqa: E402
from attempts.api.tokens import VersionedSlidingToken  # noqa: E402
from attempts.models import Attempt  # noqa: E402
from bench.timing import timed  # noqa: E402
from lms import access  # noqa: E402
from lms.models import User  # noqa: E402

PAGE_SQL = """
SELECT a.id, a.started_at, a.exam_id, a.user_id, u.email, u.display_name, u.first_name,
       u.last_name, u.phone, a.correct_count, a.incorrect_count, a.unanswered_count,
       a.score, a.percentage, a.state, a.completed_at, a.deadline_at, a.last_started_at,
       a.last_answer_at, a.passed, a.total_questions
FROM attempts_attempt a JOIN lms_user u ON u.id = a.user_id
{where} ORDER BY {order} LIMIT 200
"""
COUNT_SQL = "SELECT COUNT(*) FROM attempts_attempt a {where}"


def cases(exam_id: int):
    return [
        ("newest first", "", "", "a.started_at DESC, a.id DESC"),
        (
            "one exam, most correct",
            f"?exams={exam_id}&ordering=-correct_answers_count",
            f"WHERE a.exam_id = {exam_id}",
            "a.correct_count DESC, a.id DESC",
        ),
        (
            "completed in October",
            "?state=1&date_0=2026-10-01&date_1=2026-10-31",
            "WHERE a.state = 1 AND a.started_at >= '2026-10-01' "
            "AND a.started_at <= '2026-10-31 23:59:59.999999'",
            "a.started_at DESC, a.id DESC",
        ),
        ("page 50, oldest first", "?ordering=date&page=50", "", "a.started_at ASC, a.id ASC"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    staff = User.objects.filter(access.admin_accounts()).order_by("pk").first()
    if staff is None or not Attempt.objects.exists():
        sys.exit("Needs data: run `manage.py seed_demo --learners N --attempts M` first.")
    token = str(VersionedSlidingToken.for_user(staff))
    client = Client(HTTP_AUTHORIZATION=f"JWT {token}")
    exam_id = Exam.objects.order_by("pk").values_list("pk", flat=True).first()
    print(
        f"{connection.vendor}: {Attempt.objects.count():,} attempts; "
        f"median of {args.repeat} runs, 200 rows a page"
    )
    print(f"{'case':28} {'API ms':>9} {'SQL ms':>9} {'ratio':>7}")
    for name, query, where, order in cases(exam_id):
        offset = " OFFSET 9800" if "page=50" in query else ""

        def api(query=query):
            response = client.get(f"/api/v2.5/admin/attempts/{query}")
            assert response.status_code == 200, response.content[:300]

        def sql(where=where, order=order, offset=offset):
            with connection.cursor() as cursor:
                cursor.execute(COUNT_SQL.format(where=where))
                cursor.fetchone()
                cursor.execute(PAGE_SQL.format(where=where, order=order) + offset)
                cursor.fetchall()

        api_s, sql_s = timed(api, args.repeat), timed(sql, args.repeat)
        print(f"{name:28} {api_s * 1000:9.1f} {sql_s * 1000:9.1f} {api_s / sql_s:7.2f}")


if __name__ == "__main__":
    main()
