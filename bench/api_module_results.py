"""Benchmark: iSpring's ``GET /learners/modules/results`` against the raw SQL of the same page.

Run on a large data set, e.g.:

    DEBUG=1 .venv/bin/python manage.py seed_demo --learners 20000 --attempts 100000
    DEBUG=1 .venv/bin/python bench/api_module_results.py --repeat 20

On PostgreSQL with 5,000 learners, 10,594 enrolments and 64,296 attempts (1000-row pages,
4 queries each): first page 159 ms vs 101 ms of SQL (1.57x), next page by token 1.52x,
failed only 1.19x; a 1-row page 9 ms vs 2 ms (4.66x: the fixed cost of a request).

For each case it times the full request (token check, filters, the page of enrolment × exam
rows with their representative attempts and views, XML rendering) through Django's test
client; then it replays the very SQL statements that request ran (captured once) on a raw
cursor, and prints the ratio: the price of the framework over the database work, and the
number of statements, which does not grow with the page size.
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

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from lxml import etree  # noqa: E402

from attempts.api.ispring import tokens  # noqa: E402
from attempts.models import Attempt  # noqa: E402
from bench.surface import measure  # noqa: E402
from lms import access  # noqa: E402
from lms.models import ApiClient, User  # noqa: E402

PATH = "/learners/modules/results"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()

    staff = User.objects.filter(access.admin_accounts()).order_by("pk").first()
    if staff is None or not Attempt.objects.exists():
        sys.exit("Needs data: run `manage.py seed_demo --learners N --attempts M` first.")
    with transaction.atomic():  # the client is rolled back at the end
        api_client, _secret = ApiClient.issue(user=staff, name="bench")
        client = Client(HTTP_AUTHORIZATION=tokens.issue(api_client))
        from django.conf import settings
        from rest_framework.settings import api_settings

        settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_client"] = "1000000/min"
        api_settings.reload()
        size = args.page_size
        first = client.get(PATH, {"pageSize": size})
        token = etree.fromstring(first.content).findtext("nextPageToken")
        print(f"{connection.vendor}: median of {args.repeat} runs, {size} rows a page")
        print(f"{'case':34} {'queries':>7} {'API ms':>9} {'SQL ms':>9} {'ratio':>7}")
        cases = [
            ("first page", {"pageSize": size}),
            ("next page by token", {"pageSize": size, "pageToken": token}),
            ("one row", {"pageSize": 1}),
            ("failed only", {"pageSize": size, "completionStatuses[]": "failed"}),
        ]
        for name, query in cases:

            def api(query=query):
                response = client.get(PATH, query)
                assert response.status_code == 200, response.content[:300]

            row = measure(name, api, repeat=args.repeat)
            print(
                f"{name:34} {row['queries']:7} {row['median_ms']:9.1f} {row['db_ms']:9.1f} "
                f"{row['ratio']:7.2f}"
            )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
