"""The admin site as a whole: every model of the project has an admin, and every admin page
loads (one smoke test per page). What a page of one app does is tested beside that app:
tests/lms/test_admin.py, tests/assessments/test_admin.py, tests/attempts/test_admin.py."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin

from attempts.models import (
    Attempt,
    AttemptEvent,
    ChoiceTally,
    ExamTally,
    ExportJob,
    IdempotencyKey,
    MarkChange,
    QuestionTally,
    Regrade,
    UserAnswer,
)
from attempts.webhooks.models import DeliveryAttempt, Message
from tests.admin_pages import url

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
# Axes' records (lockouts, sign-ins) come from sign-ins only.
READ_ONLY = {
    Attempt,
    UserAnswer,
    AttemptEvent,
    IdempotencyKey,
    Regrade,
    ExportJob,  # asked from the attempt list, written by its task
    MarkChange,
    AccessAttempt,
    AccessLog,
    AccessFailureLog,
    Message,  # written by the relay from events, never by hand
    DeliveryAttempt,
    ExamTally,  # kept by attempts.services (attempts.tallies)
    QuestionTally,
    ChoiceTally,
}


def test_every_model_of_the_project_has_an_admin():
    for label in ("lms", "assessments", "attempts"):
        for model in apps.get_app_config(label).get_models():
            assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
class TestEveryAdminPageLoads:
    def test_changelist(self, admin_client, one_of_each, model):
        assert admin_client.get(url(model, "changelist")).status_code == 200

    def test_changelist_search(self, admin_client, one_of_each, model):
        assert admin_client.get(url(model, "changelist"), {"q": "something"}).status_code == 200

    def test_change_form(self, admin_client, one_of_each, model):
        response = admin_client.get(url(model, "change", one_of_each.objects[model].pk))
        assert response.status_code == 200

    def test_add_form(self, admin_client, one_of_each, model):
        # Attempts, answers and events come from learners through the services, never from
        # a blank form.
        expected = 403 if model in READ_ONLY else 200
        assert admin_client.get(url(model, "add")).status_code == expected
