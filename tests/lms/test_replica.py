"""The read replica router (``lms/replica.py``) on two aliases: ``replica`` is a TEST MIRROR of
the test database (pytest-env's ``DATABASE_TEST_REPLICA``), so both hold the same rows and each
query can be told apart by the connection that ran it. The tests install the router
themselves, as ``DATABASE_REPLICA_URL`` does in a deployment; transactional tests, because a
mirror is another connection and sees only committed rows (and the router keeps every read
inside an open transaction on the primary)."""

import csv
import io

import pytest
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from attempts.api.submissions.public_ids import ASSESSMENT, of_uuid
from attempts.api.tokens import VersionedSlidingToken
from attempts.models import Attempt
from lms.models import Course
from lms.replica import replica_reads
from tests.attempts.summary_exam import make_subjects, played_exam

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def routed(settings):
    settings.DATABASE_ROUTERS = ["lms.replica.ReplicaRouter"]


@pytest.fixture
def kit():
    return played_exam(make_subjects())


def tables(captured) -> str:
    """Every SQL statement a connection ran, in one string to look tables up in."""
    return "\n".join(query["sql"] for query in captured.captured_queries)


class Capture:
    """The queries of the primary and of the replica, apart."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"]).__enter__()
        self.replica = CaptureQueriesContext(connections["replica"]).__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)


class TestRouter:
    def test_reads_go_to_the_replica_only_inside_replica_reads(self, routed):
        assert router.db_for_read(Attempt) == "default"
        with replica_reads():
            assert router.db_for_read(Attempt) == "replica"
            assert router.db_for_write(Attempt) == "default"
        assert router.db_for_read(Attempt) == "default"

    def test_a_read_inside_a_transaction_on_the_primary_stays_there(self, routed):
        # Such a read may decide a write (select_for_update, get_or_create): it must see the
        # primary's rows, not the replica's older ones.
        with replica_reads(), transaction.atomic():
            assert router.db_for_read(Attempt) == "default"

    def test_writes_go_to_the_primary_and_reads_to_the_replica(self, routed):
        with Capture() as queries, replica_reads():
            course = Course.objects.create(slug="c", title="C")
            assert Course.objects.get(pk=course.pk).title == "C"
        assert 'INSERT INTO "lms_course"' in tables(queries.primary)
        assert 'FROM "lms_course"' not in tables(queries.primary)
        assert 'FROM "lms_course"' in tables(queries.replica)
        assert "INSERT" not in tables(queries.replica)

    def test_only_the_primary_is_migrated(self, routed):
        assert router.allow_migrate("default", "attempts")
        assert not router.allow_migrate("replica", "attempts")

    def test_without_the_router_replica_reads_change_nothing(self):
        # DATABASE_REPLICA_URL unset: no router, every query on the primary.
        with Capture() as queries, replica_reads():
            Course.objects.filter(slug="x").exists()
        assert len(queries.primary) == 1
        assert len(queries.replica) == 0


class TestRoutedViews:
    def test_the_exam_summary_reads_its_figures_from_the_replica(self, client, kit, routed):
        client.force_login(kit.instructor)
        with Capture() as queries:
            response = client.get(reverse("exam-summary", args=[kit.exam.pk]))
        assert response.status_code == 200
        # The figures of tests/attempts/summary_exam.py, read through the replica.
        assert '<dd id="mean-score">6.80</dd>' in response.content.decode()
        # The stored sums (attempts/tallies.py), not the attempts, carry the figures.
        assert '"attempts_examtally"' in tables(queries.replica)
        assert '"attempts_questiontally"' in tables(queries.replica)
        # The session and who is asking: before the view's reads, on the primary, so an
        # ended session is refused whatever the replica's lag.
        assert '"django_session"' in tables(queries.primary)
        assert '"attempts_attempt"' not in tables(queries.primary)
        assert '"django_session"' not in tables(queries.replica)

    def test_the_attempt_export_streams_its_rows_from_the_replica(self, client, kit, routed):
        client.force_login(kit.instructor)
        url = reverse("exam-attempts", args=[kit.exam.pk]) + "?export=csv&sort=attempt_number"
        with Capture() as queries:
            response = client.get(url)
            # The rows are read while the response streams, after the view returned.
            raw = b"".join(response.streaming_content)
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        # Every attempt of the exam (five completed, gus's running, hal's not started, ivy's
        # pending), one row each below the header.
        assert len(rows) - 1 == Attempt.objects.filter(exam=kit.exam).count() == 8
        assert sorted(row[3] for row in rows[1:]) == sorted(
            ["ann", "ben", "cat", "dan", "eve", "gus", "hal", "ivy"]
        )
        # The rank of each score and the rows: on the replica, while the response streams.
        assert "GROUP BY" in tables(queries.replica)
        assert 'FROM "attempts_attempt"' in tables(queries.replica)
        assert '"attempts_attempt"' not in tables(queries.primary)
        assert '"django_session"' in tables(queries.primary)

    def test_the_xlsx_export_is_built_from_the_replica_and_sent_whole(self, client, kit, routed):
        client.force_login(kit.instructor)
        url = reverse("exam-attempts", args=[kit.exam.pk]) + "?export=xlsx"
        with Capture() as queries:
            response = client.get(url)
            sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert sheet.max_row - 1 == 8  # the header, then the exam's 8 attempts
        assert '"attempts_attempt"' in tables(queries.replica)
        assert '"attempts_attempt"' not in tables(queries.primary)

    def test_the_attempt_list_page_itself_stays_on_the_primary(self, client, kit, routed):
        # An instructor's own change (finalize overdue, a rescore) shows at once on the page.
        client.force_login(kit.instructor)
        with Capture() as queries:
            response = client.get(reverse("exam-attempts", args=[kit.exam.pk]))
        assert response.status_code == 200
        assert '"attempts_attempt"' in tables(queries.primary)
        assert len(queries.replica) == 0

    def test_the_statistics_api_authenticates_on_the_primary_and_reads_the_replica(
        self, client, kit, routed
    ):
        token = VersionedSlidingToken.for_user(kit.instructor)
        url = reverse("api:assessment-statistics", args=[of_uuid(ASSESSMENT, kit.exam.uuid)])
        with Capture() as queries:
            response = client.get(url + "?attempts=all", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
        assert response.json()["n"] == 5  # the five completed attempts
        # The token's user (and its token_version): the primary, so a revoked token is
        # refused at once.
        assert '"lms_user"' in tables(queries.primary)
        assert '"attempts_attempt"' not in tables(queries.primary)
        assert '"attempts_attempt"' in tables(queries.replica)
