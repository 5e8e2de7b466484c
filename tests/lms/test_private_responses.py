"""Cache-Control: private, no-store on what carries personal data (lms/private_responses.py)."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from attempts.api.tokens import VersionedSlidingToken
from lms.private_responses import PrivateResponsesMiddleware
from tests.factories import CourseFactory, ExamFactory, UserFactory

pytestmark = pytest.mark.django_db

PRIVATE = {"private", "no-store"}


def directives(response) -> set[str]:
    header = response.headers.get("Cache-Control", "")
    return {part.strip() for part in header.split(",") if part.strip()}


@pytest.fixture
def teacher():
    return UserFactory(username="teacher")


@pytest.fixture
def exam(teacher):
    return ExamFactory(course=CourseFactory(instructors=[teacher]))


@pytest.fixture
def signed_in(client, teacher):
    client.force_login(teacher)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/courses/",
        "/evaluations/",
        "/my/attempts/",
        "/exams/{exam}/attempts/",
        "/exams/{exam}/summary/",
        "/exams/{exam}/attempts/?export=csv",
        "/exams/{exam}/attempts/?export=xlsx",
    ],
)
def test_signed_in_pages_and_exports_are_private_and_not_stored(signed_in, exam, path):
    response = signed_in.get(path.format(exam=exam.pk))
    assert response.status_code == 200
    assert directives(response) == PRIVATE


def test_api_responses_signed_in_with_a_token_are_private_and_not_stored(client, teacher, exam):
    token = VersionedSlidingToken.for_user(teacher)
    response = client.get("/api/v2.5/admin/attempts/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert directives(response) == PRIVATE


def test_api_refusals_are_not_stored_either(client):
    response = client.get("/api/v2.5/admin/attempts/")
    assert response.status_code == 401
    assert directives(response) == PRIVATE


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_stay_cacheable(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" not in directives(response)


def test_a_view_that_sets_its_own_cache_control_keeps_it(teacher):
    request = RequestFactory().get("/anything/")
    request.user = teacher
    middleware = PrivateResponsesMiddleware(
        lambda request: HttpResponse(headers={"Cache-Control": "max-age=60"})
    )
    assert middleware(request).headers["Cache-Control"] == "max-age=60"


def test_anonymous_pages_are_left_alone(client):
    # The sign-in page sets its own (never_cache); the landing redirect carries nothing.
    assert "private" in directives(client.get("/accounts/login/"))
    assert directives(client.get("/")) == set()
