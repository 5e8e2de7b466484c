"""Running ``seed_demo`` in tests, and the rows of the demo's attempts."""

import io
from contextlib import contextmanager

from django.core.management import call_command
from django.db import transaction

from attempts.models import Attempt
from lms.demo.simulation import BULK_MARKER, DEMO_MARKER

# The small seeded database of the attempt tests (conftest.seeded): 20 learners, 60 attempts
# through the services, 200 in bulk.
ARGS = ("--learners", "20", "--demo-attempts", "60", "--attempts", "200")
FINISHED = [Attempt.State.COMPLETED, Attempt.State.PENDING_EVALUATION]


def seed_demo(*args: str) -> str:
    """What ``seed_demo`` prints (its progress bars are dropped)."""
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def seed_content(*args: str) -> str:
    """``seed_demo`` with 20 learners and no attempts through the services, unless ``args`` say
    otherwise (a later option wins): the content, quickly."""
    return seed_demo("--learners", "20", "--demo-attempts", "0", *args)


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    """A transaction that is rolled back when the block ends, so the next one starts empty."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def service_attempts():
    return Attempt.objects.filter(
        institute_attempt_id__gte=DEMO_MARKER, institute_attempt_id__lt=BULK_MARKER
    )


def bulk_attempts():
    return Attempt.objects.filter(institute_attempt_id__gte=BULK_MARKER)
