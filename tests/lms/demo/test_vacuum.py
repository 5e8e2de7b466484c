"""``lms.demo.bulk.vacuum_attempts``: after a bulk load the attempt tables are vacuumed, so
that index-only scans (the ids of a deep page) need not visit the table for each entry."""

from django.db import connection

from attempts.models import Attempt
from lms.demo import bulk
from tests.factories import AttemptFactory


def visibility(table: str) -> tuple[int, int]:
    """(pages, pages all-visible) of ``table`` as PostgreSQL's catalog records them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()


def test_outside_a_transaction_the_attempts_become_all_visible(transactional_db):
    AttemptFactory.create_batch(40)
    # The rank refresh after a load rewrites every attempt of the exam: old versions stay.
    Attempt.objects.update(counts_for_rank=False)
    done = bulk.vacuum_attempts()
    if connection.vendor == "postgresql":
        assert done
        pages, all_visible = visibility(Attempt._meta.db_table)
        assert pages >= 1
        assert all_visible == pages
    else:
        assert not done  # SQLite has no visibility map to set: nothing to do


def test_inside_a_transaction_nothing_is_vacuumed(db):
    """VACUUM cannot run in a transaction (a test's, or a caller's atomic block)."""
    AttemptFactory()
    assert connection.in_atomic_block
    assert bulk.vacuum_attempts() is False


def test_the_other_tables_get_statistics(db):
    """The learners and enrolments the seed copies in are analysed too (PostgreSQL); ANALYZE,
    unlike VACUUM, runs inside a transaction."""
    from lms.models import Enrollment
    from tests.factories import EnrollmentFactory

    EnrollmentFactory.create_batch(3)
    analysed = bulk.analyze_the_rest()
    if connection.vendor != "postgresql":
        assert analysed == 0
    else:
        assert analysed > 20  # every table of the project but the four bulk ones
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s", [Enrollment._meta.db_table]
            )
            assert cursor.fetchone()[0] == 3  # counted by ANALYZE (-1 before: never analysed)
