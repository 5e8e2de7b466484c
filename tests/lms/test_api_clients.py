"""API clients: ``manage.py create_api_key`` and the admin (key shown once, list, revoke)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from lms.models import ApiClient
from tests.admin_pages import changelist_rows, url
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def create(*args):
    out = StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


class TestCreateApiKey:
    def test_the_last_line_is_the_key_as_json(self):
        teacher = UserFactory(username="teacher")
        printed = json.loads(create("teacher", "--name", "HR sync").splitlines()[-1])
        assert sorted(printed) == ["api_key", "client_id", "client_secret"]
        stored = ApiClient.objects.get()
        assert (stored.user, stored.name, stored.expires_at) == (teacher, "HR sync", None)
        assert printed["client_id"] == stored.client_id
        assert printed["api_key"] == f"lmsk_{stored.client_id}.{printed['client_secret']}"
        assert stored.secret_matches(printed["client_secret"])

    def test_expires_days(self):
        UserFactory(username="teacher")
        before = timezone.now()
        create("teacher", "--name", "x", "--expires-days", "30")
        days = (ApiClient.objects.get().expires_at - before).total_seconds() / 86400
        assert 29.99 < days < 30.01

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["nobody", "--name", "x"], "No user named 'nobody'"),
            (["teacher", "--name", "x", "--expires-days", "0"], "--expires-days"),
        ],
    )
    def test_refusals(self, args, message):
        UserFactory(username="teacher")
        with pytest.raises(CommandError, match=message):
            create(*args)
        assert not ApiClient.objects.exists()


class TestApiClientAdmin:
    def test_the_key_is_shown_once_at_creation(self, admin_client):
        owner = StaffFactory(username="owner")
        response = admin_client.post(
            url(ApiClient, "add"), {"name": "Warehouse", "user": owner.pk}, follow=True
        )
        client = ApiClient.objects.get()
        shown = [str(m) for m in response.context["messages"] if "lmsk_" in str(m)]
        assert len(shown) == 1
        key = shown[0].rsplit(" ", 1)[-1]
        assert key.startswith(f"lmsk_{client.client_id}.")
        assert client.secret_matches(ApiClient.split_key(key)[1])
        # Not on the client's page afterwards: only the hash is kept.
        page = admin_client.get(url(ApiClient, "change", client.pk)).content.decode()
        assert key not in page
        assert client.client_id in page

    def test_the_list_shows_client_id_and_last_use(self, admin_client):
        client, _ = ApiClient.issue(user=StaffFactory(), name="Warehouse")
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
        response = admin_client.get(url(ApiClient, "changelist"))
        assert changelist_rows(response) == [client]
        assert "client_id" in response.context["cl"].list_display
        assert "last_used_at" in response.context["cl"].list_display

    def test_revoke_action(self, admin_client):
        client, _ = ApiClient.issue(user=StaffFactory(), name="Warehouse")
        assert client.revoked_at is None
        admin_client.post(
            url(ApiClient, "changelist"),
            {"action": "revoke", "_selected_action": [client.pk]},
        )
        client.refresh_from_db()
        assert client.revoked_at is not None
        assert client.refusal(timezone.now()) == "This API key has been revoked."
