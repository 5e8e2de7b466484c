"""Benchmark: every list page against its own minimal SQL, on the 1M-attempt database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_1m_lists DEBUG=1 \\
        .venv/bin/python bench/lists_1m.py [--repeat 7]

For each surface (the Testpress API list in each ``ordering`` it offers and at ``page=2000``,
by offset and as a client following ``next`` reaches it; the admin's attempt, answer and
event lists, the evaluation queue, the instructor's attempt list, the Thought Industries
list, also at ``page=2000`` and by its cursor, the submissions and iSpring lists) it requests
the page through Django's test client ``repeat`` times after a warm-up, and records:

- ``queries``: the queries one request issues;
- ``median_ms``: the median time of the whole request (Python included);
- ``db_ms``: the median of the summed database time of those queries;
- ``min_sql_ms``: the median time of the surface's minimal SQL, run on its own on a raw cursor:
  the one statement that produces just that page (``SELECT ... ORDER BY ... LIMIT n`` with
  the joins its columns need, no count);
- ``ratio``: ``db_ms / min_sql_ms`` (for a deep page: ``db_ms`` over its first page's);
- ``request_ratio`` (deep pages, column ``req x``): ``median_ms`` over its first page's, both
  measured in this run;
- ``goal`` and ``met``: a first page under 50 ms of database time and within 3x its minimal
  SQL; a deep page within 3x of its first page.

``surfaces(database_alias)`` returns those rows (for ``make bench``); run as a script it
prints them as a table. Nothing is written to the database but an API client for the two
contracts that authenticate with one, in a transaction rolled back at the end.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from bench.timing import timed  # noqa: E402

FIRST_PAGE_DB_MS = 50
RATIO = 3

# The columns a Testpress row shows: the attempt, its learner and its exam.
TESTPRESS_SQL = """
SELECT a.*, u.id, u.username, u.email, u.display_name, u.first_name, u.last_name, u.phone,
       e.id, e.title, e.pass_percentage
FROM attempts_attempt a JOIN lms_user u ON u.id = a.user_id JOIN assessments_exam e
  ON e.id = a.exam_id
{where} ORDER BY {order} LIMIT {limit}
"""
# A deep page at its cheapest: the ids by the order's index, then 200 rows by id.
DEFERRED_SQL = """
WITH page AS (SELECT id FROM attempts_attempt a {where} ORDER BY {order} LIMIT {limit}
              OFFSET {offset})
SELECT a.*, u.username, u.email, e.title
FROM page JOIN attempts_attempt a ON a.id = page.id JOIN lms_user u ON u.id = a.user_id
JOIN assessments_exam e ON e.id = a.exam_id
"""
ADMIN_ATTEMPT_SQL = """
SELECT a.*, u.*, e.*, c.*
FROM attempts_attempt a JOIN lms_user u ON u.id = a.user_id
JOIN assessments_exam e ON e.id = a.exam_id JOIN lms_course c ON c.id = e.course_id
ORDER BY {order} LIMIT 100
"""
ANSWER_SQL = """
SELECT ua.*, a.*, u.*, e.*, eq.*, qe.*
FROM attempts_useranswer ua JOIN attempts_attempt a ON a.id = ua.attempt_id
JOIN lms_user u ON u.id = a.user_id JOIN assessments_exam e ON e.id = a.exam_id
JOIN assessments_examquestion eq ON eq.id = ua.exam_question_id
JOIN assessments_exam qe ON qe.id = eq.exam_id
ORDER BY ua.id LIMIT 100
"""
EVENT_SQL = """
SELECT ev.*, a.*, u.*, e.*, ac.*
FROM attempts_attemptevent ev JOIN attempts_attempt a ON a.id = ev.attempt_id
JOIN lms_user u ON u.id = a.user_id JOIN assessments_exam e ON e.id = a.exam_id
LEFT JOIN lms_user ac ON ac.id = ev.actor_id
ORDER BY ev.id DESC LIMIT 100
"""
QUEUE_SQL = """
SELECT ua.*, a.*, u.*, e.*, eq.*, q.*
FROM attempts_useranswer ua JOIN attempts_attempt a ON a.id = ua.attempt_id
JOIN lms_user u ON u.id = a.user_id JOIN assessments_exam e ON e.id = a.exam_id
JOIN assessments_examquestion eq ON eq.id = ua.exam_question_id
JOIN assessments_question q ON q.id = eq.question_id
WHERE ua.result = 'pending' AND a.state IN (1, 2)
ORDER BY ua.updated_at, ua.id LIMIT 25
"""
EXAM_LIST_SQL = """
SELECT a.*, u.* FROM attempts_attempt a JOIN lms_user u ON u.id = a.user_id
WHERE a.exam_id = {exam} ORDER BY {order} LIMIT 50
"""
# A Thought Industries page: 100 attempts with their answers (each with its question).
TI_SQL = """
WITH page AS (
  SELECT a.*, u.email, e.title FROM attempts_attempt a JOIN lms_user u ON u.id = a.user_id
  JOIN assessments_exam e ON e.id = a.exam_id
  WHERE a.state <> 3 ORDER BY a.started_at, a.id LIMIT 101 {offset})
SELECT page.*, ua.result, ua.marks_awarded, eq.question_id
FROM page LEFT JOIN attempts_useranswer ua ON ua.attempt_id = page.id
LEFT JOIN assessments_examquestion eq ON eq.id = ua.exam_question_id
"""
# iSpring's page: 1,000 (enrolment, published exam) rows, each with what its row shows of its
# representative attempt (the ranked one, else the latest: one LATERAL probe) and its views
# (started and resumed events of the learner's attempts at the exam); ``after`` continues
# from a page token's position.
ISPRING_SQL = """
SELECT en.id, ex.id, ex.uuid, ex.title, en.user_id, u.uuid, c.uuid, en.status, en.enrolled_at,
       en.due_at, en.expires_at, r.id, r.state, r.passed, r.started_at, r.completed_at,
       r.last_answer_at, r.total_questions, r.unanswered_count,
       (SELECT count(*) FROM attempts_attempt v
        JOIN attempts_attemptevent ev ON ev.attempt_id = v.id
        WHERE v.user_id = en.user_id AND v.exam_id = ex.id
          AND ev.kind IN ('started', 'resumed')) AS views
FROM lms_enrollment en JOIN lms_user u ON u.id = en.user_id AND u.is_active
JOIN lms_course c ON c.id = en.course_id
JOIN assessments_exam ex ON ex.course_id = en.course_id AND ex.status = 'published'
LEFT JOIN LATERAL (
  SELECT a.* FROM attempts_attempt a
  WHERE a.user_id = en.user_id AND a.exam_id = ex.id
  ORDER BY a.counts_for_rank DESC, a.attempt_number DESC LIMIT 1) r ON true
{after}
ORDER BY en.id, ex.id LIMIT 1001
"""


def ispring_after(enrollment: int, module: int) -> str:
    """``ISPRING_SQL``'s ``after`` for a page token at (enrolment id, exam id)."""
    return f"WHERE en.id >= {enrollment} AND (en.id > {enrollment} OR ex.id > {module})"


ASSESSMENT_SQL = """
SELECT e.*, c.uuid, (SELECT count(*) FROM assessments_examquestion eq WHERE eq.exam_id = e.id)
FROM assessments_exam e JOIN lms_course c ON c.id = e.course_id
ORDER BY e.id LIMIT 20
"""


def _api_keys(alias):
    """A JWT for the Testpress API, a Bearer key for Thought Industries, a token for iSpring
    (the API client rows are written inside the caller's transaction)."""
    from attempts.api.ispring import tokens as ispring_tokens
    from attempts.api.tokens import VersionedSlidingToken
    from lms import access
    from lms.models import ApiClient, User

    admin = User.objects.using(alias).filter(access.admin_accounts()).order_by("pk").first()
    if admin is None:
        sys.exit("Needs data: run `manage.py seed_demo --learners N --attempts M` first.")
    client, secret = ApiClient.issue(user=admin, name="bench lists_1m")
    client.user = admin
    return admin, {
        "jwt": f"JWT {VersionedSlidingToken.for_user(admin)}",
        "bearer": f"Bearer {client.api_key(secret)}",
        "ispring": ispring_tokens.issue(client),
    }


def cases(alias, deep):
    """(surface, url, auth, minimal SQL, first page it deepens or None)."""
    from django.db.models import Count

    from assessments.models import Exam

    big = (
        Exam.objects.using(alias)
        .annotate(n=Count("attempts"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    tp = "/api/v2.5/admin/attempts/"
    rows = [
        ("testpress default (-date)", tp, "a.started_at DESC, a.id DESC"),
        ("testpress date", f"{tp}?ordering=date", "a.started_at, a.id"),
    ]
    for name, column in (
        ("correct_answers_count", "correct_count"),
        ("incorrect_answers_count", "incorrect_count"),
        ("unanswered_count", "unanswered_count"),
    ):
        rows.append((f"testpress -{name}", f"{tp}?ordering=-{name}", f"a.{column} DESC, a.id DESC"))
        rows.append((f"testpress {name}", f"{tp}?ordering={name}", f"a.{column}, a.id"))
    out = [
        (name, url, "jwt", TESTPRESS_SQL.format(where="", order=order, limit=200), None)
        for name, url, order in rows
    ]
    out += [
        (
            "testpress one exam, -correct",
            f"{tp}?exams={big}&ordering=-correct_answers_count",
            "jwt",
            TESTPRESS_SQL.format(
                where=f"WHERE a.exam_id = {big}", order="a.correct_count DESC, a.id DESC", limit=200
            ),
            None,
        ),
        (
            f"testpress page={deep}",
            f"{tp}?page={deep}",
            "jwt",
            DEFERRED_SQL.format(
                where="", order="a.started_at DESC, a.id DESC", limit=200, offset=(deep - 1) * 200
            ),
            "testpress default (-date)",
        ),
        (
            # The same page as a client that follows ``next`` reaches it: ``after`` (keyset).
            f"testpress page={deep} by next",
            following(f"{tp}?page={deep - 1}", lambda body: body["next"]),
            "jwt",
            TESTPRESS_SQL.format(where="", order="a.started_at DESC, a.id DESC", limit=200),
            "testpress default (-date)",
        ),
    ]
    admin = "/admin/attempts/attempt/"
    # The ``o`` index of a column: list_display's position (the checkbox column is 0).
    from attempts.admin import AttemptAdmin

    score = AttemptAdmin.list_display.index("score") + 1
    correct = AttemptAdmin.list_display.index("correct_count") + 1
    out += [
        (
            "admin attempts default",
            admin,
            "session",
            ADMIN_ATTEMPT_SQL.format(order="a.started_at DESC, a.id DESC"),
            None,
        ),
        (
            "admin attempts score",
            f"{admin}?o={score}",
            "session",
            ADMIN_ATTEMPT_SQL.format(order="a.score, a.id"),
            None,
        ),
        (
            "admin attempts -score",
            f"{admin}?o=-{score}",
            "session",
            ADMIN_ATTEMPT_SQL.format(order="a.score DESC, a.id DESC"),
            None,
        ),
        (
            "admin attempts -correct",
            f"{admin}?o=-{correct}",
            "session",
            ADMIN_ATTEMPT_SQL.format(order="a.correct_count DESC, a.id DESC"),
            None,
        ),
        (
            f"admin attempts p={deep}",
            f"{admin}?p={deep}",
            "session",
            ADMIN_ATTEMPT_SQL.format(order="a.started_at DESC, a.id DESC")
            + f" OFFSET {(deep - 1) * 100}",
            "admin attempts default",
        ),
        ("admin answers default", "/admin/attempts/useranswer/", "session", ANSWER_SQL, None),
        (
            f"admin answers p={deep}",
            f"/admin/attempts/useranswer/?p={deep}",
            "session",
            ANSWER_SQL + f" OFFSET {(deep - 1) * 100}",
            "admin answers default",
        ),
        ("admin events default", "/admin/attempts/attemptevent/", "session", EVENT_SQL, None),
        ("evaluation queue", "/evaluations/", "session", QUEUE_SQL, None),
    ]
    exam_list = f"/exams/{big}/attempts/"
    for name, query, order in (
        ("default", "", "a.started_at DESC, a.id DESC"),
        ("-score", "?sort=-score", "a.score DESC, a.id DESC"),
        ("correct", "?sort=correct_count", "a.correct_count, a.id"),
        ("learner", "?sort=learner", "u.username, a.id"),
    ):
        out.append(
            (
                f"exam attempt list {name}",
                exam_list + query,
                "session",
                EXAM_LIST_SQL.format(exam=big, order=order),
                None,
            )
        )
    ti = "/incoming/v2/assessmentAttempts"
    out += [
        ("thoughtindustries first page", ti, "bearer", TI_SQL.format(offset=""), None),
        (
            f"thoughtindustries page={deep}",
            f"{ti}?page={deep}",
            "bearer",
            TI_SQL.format(offset=f"OFFSET {(deep - 1) * 100}"),
            "thoughtindustries first page",
        ),
        (
            # The same page by the cursor that page ``deep - 1`` answers (keyset).
            f"thoughtindustries page={deep} by cursor",
            following(
                f"{ti}?page={deep - 1}",
                lambda body: (
                    f"{ti}?cursor="
                    + quote(body["data"]["AssessmentAttempts"]["pageInfo"]["cursor"])
                ),
            ),
            "bearer",
            TI_SQL.format(offset=""),
            "thoughtindustries first page",
        ),
        ("submissions assessments", "/api/v1/assessments", "jwt_bearer", ASSESSMENT_SQL, None),
        (
            "ispring first page",
            "/learners/modules/results",
            "ispring",
            ISPRING_SQL.format(after=""),
            None,
        ),
    ]
    return out


def following(url, link):
    """A URL found by requesting ``url`` once (not timed): ``link`` of its JSON body."""

    def find(client, headers):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        return link(response.json())

    return find


def _request(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])


class QueryTimer:
    """An execute wrapper that sums the time of each query (``CaptureQueriesContext`` keeps
    milliseconds to 3 places of a second only) and counts them."""

    def __init__(self):
        self.seconds, self.queries, self.sql = 0.0, 0, []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1
            self.sql.append(sql)


def _measure(connection, client, url, headers, repeat):
    _request(client, url, headers)  # warm
    totals, elapsed, timer = [], [], None
    for _ in range(repeat):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            _request(client, url, headers)
            elapsed.append(time.perf_counter() - start)
        totals.append(timer.seconds)
    if os.environ.get("BENCH_SQL"):
        print(*timer.sql, sep="\n", file=sys.stderr)
    return timer.queries, statistics.median(elapsed) * 1000, statistics.median(totals) * 1000


def surfaces(database_alias="default", repeat=7, deep=2000, only="") -> list[dict]:
    """One row per surface: surface, queries, median_ms, db_ms, min_sql_ms, ratio, goal,
    met (the module's docstring)."""
    connection = connections[database_alias]
    rows = []
    with transaction.atomic(using=database_alias):
        admin, keys = _api_keys(database_alias)
        client = Client()
        client.force_login(admin)
        auth = {
            "session": {},
            "jwt": {"Authorization": keys["jwt"]},
            "jwt_bearer": {"Authorization": keys["jwt"].replace("JWT", "Bearer", 1)},
            "bearer": {"Authorization": keys["bearer"]},
            "ispring": {"Authorization": keys["ispring"]},
        }
        by_name = {}
        for name, url, how, sql, first in cases(database_alias, deep):
            if only not in name:
                continue
            if callable(url):
                url = url(client, auth[how])
            queries, median_ms, db_ms = _measure(connection, client, url, auth[how], repeat)

            def run(sql=sql):
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                    cursor.fetchall()

            min_sql_ms = timed(run, repeat) * 1000
            request_ratio = None
            if first is None:
                ratio = db_ms / min_sql_ms
                goal = f"db < {FIRST_PAGE_DB_MS} ms, <= {RATIO}x SQL"
                met = db_ms < FIRST_PAGE_DB_MS and ratio <= RATIO
            else:
                # Database time over the first page's (the goal), and whole request times.
                ratio = db_ms / by_name[first]["db_ms"] if first in by_name else 0
                if first in by_name:
                    request_ratio = round(median_ms / by_name[first]["median_ms"], 2)
                goal = f"<= {RATIO}x first page"
                met = ratio <= RATIO
            row = {
                "surface": name,
                "queries": queries,
                "median_ms": round(median_ms, 1),
                "db_ms": round(db_ms, 1),
                "min_sql_ms": round(min_sql_ms, 1),
                "ratio": round(ratio, 2),
                "request_ratio": request_ratio,
                "goal": goal,
                "met": met,
            }
            by_name[name] = row
            rows.append(row)
            print(_line(row), file=sys.stderr, flush=True)
        transaction.set_rollback(True, using=database_alias)
    return rows


HEADER = (
    f"{'surface':40} {'queries':>7} {'median ms':>10} {'db ms':>8} {'SQL ms':>8} "
    f"{'ratio':>6} {'req x':>6}  {'goal':26} met"
)


def _line(row) -> str:
    request_ratio = row.get("request_ratio")
    return (
        f"{row['surface']:40} {row['queries']:7} {row['median_ms']:10.1f} {row['db_ms']:8.1f} "
        f"{row['min_sql_ms']:8.1f} {row['ratio']:6.2f} "
        f"{'-' if request_ratio is None else f'{request_ratio:.2f}':>6}  {row['goal']:26} "
        f"{'yes' if row['met'] else 'NO'}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database", default="default")
    parser.add_argument("--deep", type=int, default=2000, help="the deep page's number")
    parser.add_argument("--only", default="", help="the surfaces whose name contains this")
    args = parser.parse_args()
    rows = surfaces(args.database, repeat=args.repeat, deep=args.deep, only=args.only)
    print(HEADER)
    for row in rows:
        print(_line(row))


if __name__ == "__main__":
    main()
