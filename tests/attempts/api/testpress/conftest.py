"""Fixtures of the Testpress contract tests: an admin, a frozen API clock, an attempt of
another course."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from tests.attempts.conftest import NOW
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    StaffFactory,
    UserFactory,
)

# "Now" for the API while a test runs with the ``clock`` fixture: 10 minutes into an attempt
# started at NOW.
CLOCK = NOW + timedelta(minutes=10)


@pytest.fixture
def staff(db):
    return StaffFactory(username="root")


@pytest.fixture
def clock(monkeypatch):
    """Freeze the API's clock at CLOCK: running attempts' time taken and remaining time are
    computed from ``timezone.now()`` in the view (list) and the serializer (detail)."""
    frozen = SimpleNamespace(now=lambda: CLOCK)
    monkeypatch.setattr("attempts.api.testpress.views.timezone", frozen)
    monkeypatch.setattr("attempts.api.testpress.serializers.timezone", frozen)
    return CLOCK


@pytest.fixture
def other_course_attempt(db):
    """An attempt in a course that the kit's instructor does not teach."""
    other_learner = UserFactory(username="grace")
    course = CourseFactory()
    EnrollmentFactory(user=other_learner, course=course)
    return AttemptFactory(user=other_learner, exam=ExamFactory(course=course))
