"""Benchmark: Thought Industries' ``GET /incoming/v2/assessmentAttempts`` against the raw SQL
of the same page.

Run on a large data set, e.g.:

    DEBUG=1 .venv/bin/python manage.py seed_demo --learners 20000 --attempts 100000
    DEBUG=1 .venv/bin/python bench/api_assessment_attempts.py --repeat 20

For each case it times the full request (API key check, filters, count or cursor, the page
with its answers, questions and choices, serialization, JSON rendering) through Django's test
client; then it replays the very SQL statements that request ran (captured once) on a raw
cursor, and prints the ratio: the price of the framework over the database work. It also
prints the number of statements, which does not grow with the page size.
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

from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from attempts.api.thoughtindustries import filters, pagination  # noqa: E402
from attempts.models import Attempt  # noqa: E402
from bench.surface import measure  # noqa: E402
from lms import access  # noqa: E402
from lms.models import ApiClient, User  # noqa: E402

PATH = "/incoming/v2/assessmentAttempts"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--per-page", type=int, default=100)
    args = parser.parse_args()

    staff = User.objects.filter(access.admin_accounts()).order_by("pk").first()
    if staff is None or not Attempt.objects.exists():
        sys.exit("Needs data: run `manage.py seed_demo --learners N --attempts M` first.")
    # A key for the run, rolled back at the end (with the throttle off: a benchmark is no
    # client to protect the service from).
    with transaction.atomic():
        api_client, secret = ApiClient.issue(user=staff, name="bench")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {api_client.api_key(secret)}")
        from django.conf import settings

        settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_client"] = "1000000/min"
        from rest_framework.settings import api_settings

        api_settings.reload()
        per_page = args.per_page
        first = client.get(PATH, {"perPage": per_page}).json()["data"]["AssessmentAttempts"]
        middle = {"perPage": per_page, "cursor": first["pageInfo"]["cursor"]}
        print(
            f"{connection.vendor}: {first['pageInfo']['total']:,} listed attempts; "
            f"median of {args.repeat} runs, {per_page} attempts a page"
        )
        print(f"{'case':34} {'queries':>7} {'API ms':>9} {'SQL ms':>9} {'ratio':>7}")
        # A cursor near the end of the table: keyset pages cost the same at any depth.
        listed = Attempt.objects.exclude(state=Attempt.State.NOT_STARTED)
        deep = listed.order_by("-started_at", "-id")[50 * per_page]
        deep_cursor = pagination.encode_cursor(
            last=deep, total=first["pageInfo"]["total"], fingerprint=filters.fingerprint({})
        )
        cases = [
            ("first page (counts the total)", {"perPage": per_page}),
            ("next page by cursor (no count)", middle),
            ("cursor 50 pages before the end", {"perPage": per_page, "cursor": deep_cursor}),
            ("offset page 20 (cached total)", {"perPage": per_page, "page": 20}),
        ]
        for name, query in cases:

            def api(query=query):
                response = client.get(PATH, query)
                assert response.status_code == 200, response.content[:300]

            if query.get("perPage") and "cursor" not in query and "page" not in query:
                cache.clear()  # every run of the first page counts
            row = measure(name, api, repeat=args.repeat)
            print(
                f"{name:34} {row['queries']:7} {row['median_ms']:9.1f} {row['db_ms']:9.1f} "
                f"{row['ratio']:7.2f}"
            )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
