"""Testpress's status for each domain refusal: a wrong request 400, a refusal of the caller
403, a conflict with the attempt's or exam's state (the attempt limit among them) 409."""

import json

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from attempts import errors
from attempts.api.testpress import urls
from attempts.api.testpress.errors import ERROR_STATUSES
from attempts.api.testpress.views import TestpressAdminView


class RaisingTestpressAdminView(TestpressAdminView, APIView):
    """A Testpress view (open to anyone here) that raises ``error``."""

    authentication_classes = []
    permission_classes = []
    error = None

    def get(self, request):
        raise self.error


@pytest.mark.parametrize(
    ("error_class", "status"),
    [
        (errors.AttemptError, 400),
        (errors.InvalidAnswerError, 400),
        (errors.NotAllowedError, 403),
        (errors.ConflictError, 409),
        (errors.ExamNotOpenError, 409),
        (errors.AttemptLimitError, 409),
        (errors.AttemptNotRunningError, 409),
        (errors.DeadlinePassedError, 409),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_each_refusal_has_testpress_status(error_class, status):
    view = RaisingTestpressAdminView.as_view(error=error_class("Refused."))

    response = view(APIRequestFactory().get("/"))
    response.render()

    assert response.status_code == status
    assert json.loads(response.content) == {"detail": "Refused."}


@pytest.mark.parametrize("pattern", urls.urlpatterns, ids=lambda p: p.name)
def test_every_endpoint_carries_the_mapping(pattern):
    assert pattern.callback.view_class.error_statuses is ERROR_STATUSES
