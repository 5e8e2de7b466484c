"""The exception handler: a domain refusal becomes the status that the raising view's
contract gives it (``error_statuses``), 400 when the contract names none; the body carries
the message under ``detail``, or under the field the refusal names."""

import json
import logging

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from attempts.api.testpress.views import AdminAttemptList
from attempts.errors import (
    AttemptError,
    AttemptLimitError,
    ConflictError,
    DeadlinePassedError,
    InvalidAnswerError,
    NotAllowedError,
)
from tests.attempts.api.testpress.contract import LIST_URL, jwt_client
from tests.factories import StaffFactory


class Raising(APIView):
    """A view that raises ``error``, for a contract that maps refusals as below."""

    authentication_classes = []
    permission_classes = []
    error = None
    error_statuses = {NotAllowedError: 403, ConflictError: 409, AttemptLimitError: 429}

    def get(self, request):
        raise self.error


class Unmapped(Raising):
    """A contract that maps no refusal at all."""

    error_statuses = {}


def call(view_class, error):
    response = view_class.as_view(error=error)(APIRequestFactory().get("/"))
    response.render()
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotAllowedError("Not enrolled."), 403),
        (ConflictError("The attempt is completed."), 409),
        # A kind of conflict takes its parent's status ...
        (DeadlinePassedError("The deadline has passed."), 409),
        # ... unless the contract names the kind itself.
        (AttemptLimitError("No attempts left."), 429),
        # Refusals the contract does not name are "the request itself is wrong".
        (InvalidAnswerError("Marks out of range."), 400),
        (AttemptError("Bad request."), 400),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_a_refusal_takes_the_status_of_the_raising_views_contract(error, status):
    assert call(Raising, error) == (status, {"detail": error.message})


def test_a_view_that_maps_nothing_answers_400():
    assert call(Unmapped, NotAllowedError("Not enrolled.")) == (400, {"detail": "Not enrolled."})


def test_a_refusal_about_a_field_is_keyed_by_the_field():
    error = InvalidAnswerError("Choose a choice of this question.", field="choice_ids")
    assert call(Raising, error) == (400, {"choice_ids": ["Choose a choice of this question."]})


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            ValidationError({"page": ["Enter a whole number."]}),
            400,
            {"page": ["Enter a whole number."]},
        ),
        (NotFound(), 404, {"detail": "Not found."}),
    ],
    ids=["ValidationError", "NotFound"],
)
def test_drf_errors_are_left_to_drf(error, status, body):
    assert call(Raising, error) == (status, body)


# ------------------------------------------------------------ what no contract expects


def test_an_unexpected_exception_is_a_json_500_logged_with_its_traceback(caplog):
    # Was Django's HTML 500 page: the exception left the handler.
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert call(Raising, ZeroDivisionError("boom")) == (
            500,
            {"detail": "A server error occurred."},
        )
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "ERROR"
    assert record.status_code == 500
    assert record.exc_info[0] is ZeroDivisionError


@pytest.mark.parametrize(
    "error",
    [OperationalError("connection refused"), InterfaceError("connection already closed")],
    ids=["OperationalError", "InterfaceError"],
)
def test_a_lost_database_is_a_json_503_to_retry(error):
    response = Raising.as_view(error=error)(APIRequestFactory().get("/api/x/"))
    response.render()
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "detail": "The service is unavailable for a moment. Please try again shortly."
    }
    assert int(response["Retry-After"]) > 0


def test_with_debug_on_the_exception_goes_on_to_djangos_debug_page(settings):
    settings.DEBUG = True
    with pytest.raises(ZeroDivisionError):
        call(Raising, ZeroDivisionError())


@pytest.mark.django_db
class TestThroughTheStack:
    """A real endpoint whose view raises, through the middleware and the URL conf."""

    @pytest.fixture
    def client(self):
        client = jwt_client(StaffFactory())
        client.raise_request_exception = False
        return client

    def test_an_exception_in_an_api_view_is_a_json_500(self, client, monkeypatch):
        def fail(self):
            raise RuntimeError("a bug")

        monkeypatch.setattr(AdminAttemptList, "get_queryset", fail)
        response = client.get(LIST_URL)
        assert response.status_code == 500
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "A server error occurred."}

    def test_an_exception_outside_the_view_is_a_json_500_under_api(self, client, monkeypatch):
        # Raised by a middleware, before any view: Django's handler500 answers.
        def fail(self, request):
            raise RuntimeError("a bug in a middleware")

        monkeypatch.setattr(SessionMiddleware, "process_request", fail)
        response = client.get(LIST_URL)
        assert response.status_code == 500
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "A server error occurred."}

    @pytest.mark.parametrize(
        "error", [OperationalError("gone"), PoolTimeout("no connection in 3.0 sec")]
    )
    def test_a_lost_database_is_a_json_503(self, client, monkeypatch, error):
        def fail(self):
            raise error

        monkeypatch.setattr(AdminAttemptList, "get_queryset", fail)
        response = client.get(LIST_URL)
        assert response.status_code == 503
        assert response.json()["detail"].startswith("The service is unavailable")
