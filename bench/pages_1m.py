"""The pages and single-object requests of the 1M-attempt benchmark (``make bench``).

Surfaces: the exam summary of the four largest exams, the courses page, the statistics page and
API of the exam nearest 100k attempts (cold: the cache is cleared before every run), an attempt's
page and its Testpress detail and answers, a learner's "my attempts", and the first, next
and last page of iSpring's module results (1000 rows) with a walk of every page (``--walk``).

Run alone: ``DEBUG=1 DATABASE_URL=... .venv/bin/python bench/pages_1m.py``.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from lxml import etree  # noqa: E402
from rest_framework.settings import api_settings  # noqa: E402

from assessments.models import Exam  # noqa: E402
from attempts.api.ispring import filters, pagination, tokens  # noqa: E402
from attempts.api.ispring import rows as ispring_rows  # noqa: E402
from attempts.api.submissions import public_ids  # noqa: E402
from attempts.api.tokens import VersionedSlidingToken  # noqa: E402
from attempts.models import Attempt  # noqa: E402
from bench.lists_1m import ISPRING_SQL, ispring_after  # noqa: E402
from bench.surface import measure, table  # noqa: E402
from lms import access  # noqa: E402
from lms.models import ApiClient, User  # noqa: E402

SUMMARY_MS = 300  # issue 17: the exam summary and the courses page at 400k attempts
STATISTICS_MS = 1000  # issue 15: the statistics page and API cold at 100k attempts
LIST_DB_MS = 50  # issue 17: a list's first page in database time
ISPRING = "/learners/modules/results"


def _ok(client: Client, path: str, data=None, status: int = 200):
    def request():
        response = client.get(path, data or {})
        assert response.status_code == status, (path, response.status_code)
        if hasattr(response, "streaming_content"):
            for _chunk in response.streaming_content:
                pass
        return response

    return request


def _cold(request):
    def run():
        cache.clear()
        return request()

    return run


def _unthrottled():
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_client"] = "1000000/min"
    api_settings.reload()


def _largest_exams(count: int) -> list[tuple[int, int]]:
    """(exam id, finished attempts) of the ``count`` exams with the most attempts."""
    rows = (
        Attempt.objects.values("exam_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("exam_id", "n")[:count]
    )
    return list(rows)


def _nearest(exams: list[tuple[int, int]], size: int) -> tuple[int, int]:
    return min(exams, key=lambda pair: abs(pair[1] - size))


def surfaces(*, walk: bool = False) -> list[dict]:
    admin = User.objects.filter(access.admin_accounts()).order_by("pk").first()
    if admin is None:
        raise SystemExit("Needs data: run `manage.py seed_demo --attempts N` first.")
    page = Client()
    page.force_login(admin)
    token = VersionedSlidingToken.for_user(admin)
    api = Client(HTTP_AUTHORIZATION=f"JWT {token}")
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    exams = _largest_exams(12)
    rows = []
    for exam_id, n in exams[:4]:
        rows.append(
            measure(
                f"exam summary ({n:,} attempts)",
                _ok(page, f"/exams/{exam_id}/summary/"),
                goal_ms=SUMMARY_MS if n >= 300_000 else None,
            )
        )
    rows.append(measure("courses page (admin)", _ok(page, "/courses/"), goal_ms=SUMMARY_MS))
    exam_id, n = _nearest(exams, 100_000)
    rows.append(
        measure(
            f"statistics page, cold ({n:,} attempts)",
            _cold(_ok(page, f"/exams/{exam_id}/statistics/")),
            goal_ms=STATISTICS_MS,
            repeat=3,
        )
    )
    assessment = public_ids.of_uuid(public_ids.ASSESSMENT, Exam.objects.get(pk=exam_id).uuid)
    rows.append(
        measure(
            f"statistics API, cold ({n:,} attempts)",
            _cold(_ok(bearer, f"/api/v1/assessments/{assessment}/statistics")),
            goal_ms=STATISTICS_MS,
            repeat=3,
        )
    )
    attempt = Attempt.objects.filter(state=Attempt.State.COMPLETED).order_by("-pk").first()
    rows.append(measure("attempt page", _ok(page, f"/attempts/{attempt.pk}/")))
    rows.append(
        measure("Testpress attempt detail", _ok(api, f"/api/v2.5/admin/attempts/{attempt.pk}/"))
    )
    rows.append(
        measure(
            "Testpress user answers",
            _ok(api, f"/api/v3/admin/attempts/{attempt.pk}/user_answers/"),
        )
    )
    learner = User.objects.get(pk=attempt.user_id)
    mine = Client()
    mine.force_login(learner)
    rows.append(measure("learner: my attempts", _ok(mine, "/my/attempts/")))
    rows.extend(_ispring(admin, walk=walk))
    return rows


def _ispring(admin, *, walk: bool) -> list[dict]:
    """iSpring's module results (issue 17): 1000-row pages, first and by token, in under
    50 ms of database time and within 3× their minimal SQL (``lists_1m.ISPRING_SQL``: one
    statement, the representative attempt by a LATERAL probe)."""
    _unthrottled()
    api_client, _secret = ApiClient.issue(user=admin, name="bench")
    try:
        client = Client(HTTP_AUTHORIZATION=tokens.issue(api_client))
        first = client.get(ISPRING, {"pageSize": 1000})
        assert first.status_code == 200, first.content[:300]
        following = etree.fromstring(first.content).findtext("nextPageToken")
        goals = {"goal_db_ms": LIST_DB_MS, "goal_ratio": 3, "ratio_of": "db"}
        rows = [
            measure(
                "iSpring results, first 1000",
                _ok(client, ISPRING, {"pageSize": 1000}),
                minimal_sql=[ISPRING_SQL.format(after="")],
                **goals,
            )
        ]
        if following:  # a second page exists
            anywhere = filters.Query().fingerprint()  # the filters of a request without any
            position = pagination.decode(following, fingerprint=anywhere)
            rows.append(
                measure(
                    "iSpring results, next 1000",
                    _ok(client, ISPRING, {"pageSize": 1000, "pageToken": following}),
                    minimal_sql=[ISPRING_SQL.format(after=ispring_after(*position))],
                    **goals,
                )
            )
            last = _last_page_token(admin)
            rows.append(
                measure(
                    "iSpring results, last 1000",
                    _ok(client, ISPRING, {"pageSize": 1000, "pageToken": last}),
                    minimal_sql=[
                        ISPRING_SQL.format(
                            after=ispring_after(*pagination.decode(last, fingerprint=anywhere))
                        )
                    ],
                    **goals,
                )
            )
        if walk:
            rows.append(_walk(client))
        return rows
    finally:
        api_client.delete()


def _last_page_token(admin) -> str:
    """The token a walk holds before its last 1000 rows (found once, not timed)."""
    rows = ispring_rows.rows_for(admin, filters.Query()).order_by("-pk", "-module_pk")
    pk, module_pk = rows.values_list("pk", "module_pk")[1000]
    fingerprint = filters.Query().fingerprint()
    return pagination.encode({"pk": pk, "module_pk": module_pk}, fingerprint=fingerprint)


def _walk(client: Client) -> dict:
    """Every page by ``pageToken``: each (learner, module) row exactly once."""
    seen, duplicates, pages, token = set(), 0, 0, None
    start = time.perf_counter()
    while True:
        query = {"pageSize": 1000, **({"pageToken": token} if token else {})}
        response = client.get(ISPRING, query)
        assert response.status_code == 200, response.content[:300]
        root = etree.fromstring(response.content)
        for row in root.iter("result"):
            key = (row.findtext("userId"), row.findtext("moduleId"))
            duplicates += key in seen
            seen.add(key)
        pages += 1
        token = root.findtext("nextPageToken")
        if not token:
            break
    seconds = time.perf_counter() - start
    return {
        "surface": f"iSpring walk: {len(seen):,} rows, {pages} pages, {duplicates} repeated",
        "queries": None,
        "median_ms": round(seconds * 1000 / pages, 1),
        "db_ms": None,
        "sql_ms": None,
        "ratio": None,
        "goal": "each row once",
        "met": duplicates == 0,
    }


if __name__ == "__main__":
    print(table(surfaces(walk="--walk" in sys.argv)))
