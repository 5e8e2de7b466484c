"""Benchmark: the exam statistics (item analysis) at 1k, 10k and 100k finished attempts.

PostgreSQL only (the builder writes with set-based SQL). Use a database of your own:

    createdb -h 127.0.0.1 -U postgres lms_statistics
    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_statistics
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python bench/item_analysis.py --sizes 1000 10000 100000 --repeat 5

For each size it copies the demo's first exam (its sections and questions) into a new exam
"Statistics bench N" (once; a re-run reuses it) and writes N completed attempts in a few
INSERT ... SELECT statements: learners ``bench<i>``, one attempt each and a second one for one
learner in ten; each answer is right with a probability that grows with the attempt's
ability, a wrong choice is one of the distractors at random, an essay or a numeric answer gets
full or no marks; its stored sums (``attempts.tallies``) are then counted once with
``exam_sums_rebuild``, as the bulk seed does. Then it times, warm, the median of ``--repeat``
runs of:

* ``compute``: ``exam_item_analysis`` alone, uncached, for the exam's rank policy (from the
  stored sums) and for ``best`` (not stored: the grouped queries over the answer rows, what
  every request paid before the stored sums);
* ``page (cold)`` / ``api (cold)``: the statistics page through Django's test client as an
  admin, and ``GET /api/v1/assessments/<uuid>/statistics``, with Django's cache cleared
  before each request: what the first request after a change pays;
* ``page (cached)`` / ``api (cached)``: the same with the analysis in the cache (its stamp
  query, the rendering).

Measured on the shared 2-core development machine before the stored sums (load average
about 7, PostgreSQL 15; 21 questions, 16 of them choice questions), median of 3, seconds:

    attempts  compute (cold)  page (cached)  api (cached)
        1000           0.239          0.014         0.006
       10000           0.401          0.016         0.009
      100000           3.268          0.106         0.090

With them, one run (load average 8 to 10, seconds; ``best`` is the grouped path over the
answer rows, what every cold request paid before):

    attempts  compute  best (rows)  page cold  api cold  page cached  api cached
        1000    0.241        0.379      0.364     0.312        0.075       0.036
       10000    0.283        1.057      0.446     0.366        0.097       0.060
      100000    0.433       21.644      0.539     0.584        0.200       0.152

The stored computation grows with the distinct (x, X) cells, not with the attempts; the
cached answer and the cold page also pay the stamp aggregate (linear in the exam's attempts,
one index range).
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

from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from assessments.models import Exam, ExamQuestion, Section  # noqa: E402
from attempts.api.submissions import public_ids as ids  # noqa: E402
from attempts.api.tokens import VersionedSlidingToken  # noqa: E402
from attempts.models import ExamTally  # noqa: E402
from attempts.statistics.item_inputs import Which, exam_item_analysis  # noqa: E402
from attempts.tallies import exam_sums_rebuild  # noqa: E402
from bench.timing import timed  # noqa: E402
from lms.models import User  # noqa: E402

USERS_SQL = """
INSERT INTO lms_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                      is_active, date_joined, uuid, phone, display_name, token_version,
                      time_zone)
SELECT '!', false, 'bench' || g, '', '', 'bench' || g || '@example.com', false, true, now(),
       gen_random_uuid(), '', '', 0, 'UTC'
FROM generate_series(1, %(users)s) AS g
ON CONFLICT DO NOTHING
"""

ATTEMPTS_SQL = """
INSERT INTO attempts_attempt (uuid, attempt_number, state, started_at, last_started_at,
    completed_at, total_questions, correct_count, incorrect_count, partial_count,
    unanswered_count, pending_count, score, max_score, percentage, passed, counts_for_rank,
    exam_id, user_id)
SELECT gen_random_uuid(), (g - 1) / %(users)s + 1, 1, now() - interval '2 hours',
       now() - interval '2 hours', now() - interval '1 hour', 0, 0, 0, 0, 0, 0, 0, 0, 0,
       NULL, false, %(exam)s, u.id
FROM generate_series(1, %(attempts)s) AS g
JOIN lms_user u ON u.username = 'bench' || ((g - 1) %% %(users)s + 1)
"""

# One pick per attempt and question: right with probability 0.15 + 0.8 × ability (the
# ability is a hash of the attempt id), else a random distractor (choice questions).
PICKS_SQL = """
CREATE TEMP TABLE bench_pick ON COMMIT DROP AS
WITH wrong AS (
    SELECT c.id, c.question_id,
           row_number() OVER (PARTITION BY c.question_id ORDER BY c.id) AS k,
           count(*) OVER (PARTITION BY c.question_id) AS of
    FROM assessments_answerchoice c WHERE NOT c.is_correct
), key AS (
    SELECT DISTINCT ON (question_id) question_id, id FROM assessments_answerchoice
    WHERE is_correct ORDER BY question_id, id
), draw AS (
    SELECT a.id AS attempt_id, eq.id AS eq_id, eq.question_id, eq.marks, eq.negative_marks,
           random() < 0.15 + 0.8 * ((a.id * 2654435761) %% 1000) / 1000.0 AS right_,
           random() AS r
    FROM attempts_attempt a JOIN assessments_examquestion eq ON eq.exam_id = a.exam_id
    WHERE a.exam_id = %(exam)s
)
SELECT d.attempt_id, d.eq_id, d.right_,
       CASE WHEN d.right_ THEN d.marks ELSE -d.negative_marks END AS marks,
       CASE WHEN d.right_ THEN key.id ELSE wrong.id END AS choice_id
FROM draw d
LEFT JOIN key ON key.question_id = d.question_id
LEFT JOIN (SELECT question_id, max(of) AS of FROM wrong GROUP BY question_id) n
       ON n.question_id = d.question_id
LEFT JOIN wrong ON wrong.question_id = d.question_id AND NOT d.right_
               AND wrong.k = 1 + floor(d.r * n.of)::int
"""

ANSWERS_SQL = """
INSERT INTO attempts_useranswer (text_response, result, marks_awarded, time_spent_seconds,
    is_flagged, evaluator_comment, created_at, updated_at, attempt_id, exam_question_id)
SELECT '', CASE WHEN right_ THEN 'correct' ELSE 'incorrect' END, marks, 30, false, '', now(),
       now(), attempt_id, eq_id
FROM bench_pick
"""

CHOICES_SQL = """
INSERT INTO attempts_useranswer_selected_choices (useranswer_id, answerchoice_id)
SELECT ua.id, p.choice_id FROM bench_pick p
JOIN attempts_useranswer ua ON ua.attempt_id = p.attempt_id AND ua.exam_question_id = p.eq_id
WHERE p.choice_id IS NOT NULL
"""

TOTALS_SQL = """
UPDATE attempts_attempt a SET
    total_questions = t.total, correct_count = t.correct, incorrect_count = t.total - t.correct,
    score = t.score, max_score = %(max_score)s,
    percentage = round(100 * t.score / %(max_score)s, 2)
FROM (SELECT attempt_id, count(*) AS total, count(*) FILTER (WHERE right_) AS correct,
             sum(marks) AS score
      FROM bench_pick GROUP BY attempt_id) t
WHERE a.id = t.attempt_id
"""


RANK_SQL = """
UPDATE attempts_attempt SET counts_for_rank = (attempt_number = 1) WHERE exam_id = %(exam)s
"""


def bench_exam(size: int) -> Exam:
    """The exam with ``size`` bench attempts, built on first use."""
    title = f"Statistics bench {size}"
    exam = Exam.objects.filter(title=title).first()
    if exam is not None:
        if not ExamTally.objects.filter(exam=exam).exists():  # built before the stored sums
            with transaction.atomic():
                exam_sums_rebuild(exam)
        return exam
    source = Exam.objects.order_by("pk").first()
    with transaction.atomic():
        exam = Exam.objects.create(
            course=source.course,
            title=title,
            rank_policy=Exam.RankPolicy.FIRST,
            status=Exam.Status.PUBLISHED,
        )
        section = Section.objects.create(exam=exam, title="All questions")
        ExamQuestion.objects.bulk_create(
            ExamQuestion(
                exam=exam,
                section=section,
                question_id=eq.question_id,
                marks=eq.marks,
                negative_marks=eq.negative_marks,
                is_bonus=eq.is_bonus,
                order=eq.order,
            )
            for eq in source.exam_questions.all()
        )
        max_score = sum(eq.marks for eq in exam.exam_questions.all())
        users = max(1, size * 10 // 11)
        params = {"users": users, "attempts": size, "exam": exam.pk, "max_score": max_score}
        with connection.cursor() as cursor:
            for sql in (USERS_SQL, ATTEMPTS_SQL, PICKS_SQL, ANSWERS_SQL, CHOICES_SQL, TOTALS_SQL):
                cursor.execute(sql, params)
            # The bench exam ranks first attempts (every attempt is completed); a plain UPDATE,
            # as refresh_rank_population's per-learner subquery would run before ANALYZE.
            cursor.execute(RANK_SQL, params)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with transaction.atomic():
        exam_sums_rebuild(exam)
    return exam


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: set DATABASE_URL.")
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    client = Client()
    client.force_login(admin)
    token = f"Bearer {VersionedSlidingToken.for_user(admin)}"
    columns = ["attempts", "compute s", "best s", "page cold s", "api cold s"]
    columns += ["page cached s", "api cached s"]
    print(" ".join(f"{c:>13}" for c in columns))
    for size in args.sizes:
        exam = bench_exam(size)
        page = reverse("exam-statistics", args=[exam.pk])
        api = reverse("api:assessment-statistics", args=[ids.of_uuid(ids.ASSESSMENT, exam.uuid)])

        def get_page(url=page, cold=False):
            if cold:
                cache.clear()
            assert client.get(url).status_code == 200

        def get_api(url=api, cold=False):
            if cold:
                cache.clear()
            assert client.get(url, HTTP_AUTHORIZATION=token).status_code == 200

        figures = [
            timed(lambda exam=exam: exam_item_analysis(exam), args.repeat),
            timed(lambda exam=exam: exam_item_analysis(exam, Which.BEST), args.repeat),
            timed(lambda: get_page(cold=True), args.repeat),
            timed(lambda: get_api(cold=True), args.repeat),
            timed(get_page, args.repeat),
            timed(get_api, args.repeat),
        ]
        print(f"{size:>13} " + " ".join(f"{f:>13.3f}" for f in figures), flush=True)


if __name__ == "__main__":
    main()
