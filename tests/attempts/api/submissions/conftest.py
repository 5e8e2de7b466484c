"""The kit (tests/attempts/conftest.py) opened for the real clock: the API reads
``timezone.now()``, so its exam is open without dates. Helpers name the public ids."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from attempts.api.submissions import public_ids as ids
from tests.factories import EnrollmentFactory, StaffFactory, UserFactory

LIST = "/api/v1/assessments"


def asmnt(exam) -> str:
    return ids.of_uuid(ids.ASSESSMENT, exam.uuid)


def qstn(exam_question) -> str:
    return ids.of_uuid(ids.QUESTION, exam_question.question.uuid)


def chc(choice) -> str:
    return ids.of_pk(ids.CHOICE, choice.pk)


def sub(attempt) -> str:
    return ids.of_uuid(ids.SUBMISSION, attempt.uuid)


def crs(course) -> str:
    return ids.of_uuid(ids.COURSE, course.uuid)


def usr(user) -> str:
    return ids.of_uuid(ids.USER, user.uuid)


def submissions_url(exam) -> str:
    return f"{LIST}/{asmnt(exam)}/submissions"


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def open_kit(kit):
    """The kit's exam with no window (open now), its learner enrolled yesterday; a learner
    sees each question's result at once, not the key (``review_content``)."""
    exam = kit.exam
    exam.opens_at = exam.closes_at = None
    exam.review_policy = exam.ReviewPolicy.AFTER_SUBMIT
    exam.review_content = exam.ReviewContent.CORRECTNESS
    exam.save()
    kit.learner.enrollments.update(enrolled_at=timezone.now() - timedelta(days=1))
    return kit


@pytest.fixture
def admin(db):
    return StaffFactory(username="root")


@pytest.fixture
def stranger(db):
    """Signed in, enrolled nowhere, teaching nothing."""
    return UserFactory(username="stranger")


def enrol(kit, username, **fields):
    learner = UserFactory(username=username)
    EnrollmentFactory(
        user=learner, course=kit.course, enrolled_at=timezone.now() - timedelta(days=1), **fields
    )
    return learner


def sheet(kit, **given):
    """``{"answers": [...]}`` for the kit: ``single=[0]`` chooses choice 0 of "single",
    ``numeric="9.8"`` a number, ``short="Paris"`` a text."""
    answers = []
    for name, value in given.items():
        answer = {"question_id": qstn(kit.eq[name])}
        if name in kit.choices:
            answer["choice_ids"] = [chc(kit.choices[name][i]) for i in value]
        elif name == "numeric":
            answer["number"] = value
        else:
            answer["text"] = value
        answers.append(answer)
    return {"answers": answers}
