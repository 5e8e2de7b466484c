"""Attempts of the kit exam (tests/attempts/conftest.py: 6 questions × 4 marks, max 24,
negative 1, pass mark 50 %, 60 minutes) in the states the attempt page and the evaluation
pages show, played through the services, and how those tests read the pages."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from attempts.models import UserAnswer
from tests.attempts.conftest import NOW
from tests.factories import CourseFactory, UserFactory
from tests.play import submit

D = Decimal
# Attempts here start at NOW; those submitted are submitted half an hour later.
SUBMITTED = NOW + timedelta(minutes=30)
PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


# ------------------------------------------------------------------------------ building


def mixed_without_essay(kit, attempt):
    kit.answer(attempt, "single", choices=[0], time_spent_seconds=40)  # key: +4 correct
    kit.answer(attempt, "multiple", choices=[0, 1], flagged=True)  # 2 of 3 keys: +2 partial
    kit.answer(attempt, "true_false", choices=[1])  # wrong: -1 incorrect
    kit.answer(attempt, "numeric", number=D("9.84"))  # within 9.81 ± 0.05: +4
    kit.answer(attempt, "short", text="  paris ")  # normalised match: +4


@pytest.fixture
def ranked(kit):
    """Two completed attempts: ada 4 + 2 - 1 + 4 + 4 = 13 (essay blank), bob 4 (single only)."""
    ada = kit.start()
    mixed_without_essay(kit, ada)
    bob = kit.start(kit.enrol("bob"))
    kit.answer(bob, "single", choices=[0])
    return submit(ada, now=SUBMITTED), submit(bob, now=SUBMITTED)


@pytest.fixture
def pending(kit):
    """ada's attempt waiting for its essay: 13 of 24 so far, pending evaluation."""
    attempt = kit.start()
    mixed_without_essay(kit, attempt)
    kit.answer(attempt, "essay", text="Because <b>gravity</b> pulls.")
    attempt = submit(attempt, now=SUBMITTED)
    essay = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"])
    return attempt, essay


@pytest.fixture
def outsider(db):
    """An instructor, but of another course."""
    teacher = UserFactory(username="other-teacher")
    CourseFactory(instructors=[teacher])
    return teacher


# ------------------------------------------------------------------------------ reading


def detail_url(attempt):
    return reverse("attempt-detail", args=[attempt.pk])


def evaluate_url(answer_row):
    return reverse("answer-evaluate", args=[answer_row.pk])


def summary(response) -> dict[str, str]:
    """The summary figures of the detail page, term → value."""
    html = response.content.decode()
    section = re.search(r'id="summary-heading".*?</section>', html, re.S).group(0)
    return dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", section))


def has_form(response, answer_row) -> bool:
    return f'action="{evaluate_url(answer_row)}"' in response.content.decode()
