"""The exception handler: a domain refusal becomes the status that the raising view's
contract gives it (``error_statuses``), 400 when the contract names none; the body carries
the message under ``detail``, or under the field the refusal names."""

import json

import pytest
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from attempts.errors import (
    AttemptError,
    AttemptLimitError,
    ConflictError,
    DeadlinePassedError,
    InvalidAnswerError,
    NotAllowedError,
)


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


def test_other_exceptions_still_propagate():
    with pytest.raises(ZeroDivisionError):
        call(Raising, ZeroDivisionError())
