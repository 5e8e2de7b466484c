"""``POST /api/v3/token`` and the header that carries the token."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from attempts.api.ispring import tokens
from lms.models import ApiClient
from tests.attempts.api.ispring.conftest import PATH, TOKEN_PATH
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def credentials():
    client, secret = ApiClient.issue(user=StaffFactory(username="root"), name="reports")
    return client, {
        "client_id": client.client_id,
        "client_secret": secret,
        "grant_type": "client_credentials",
    }


def test_form_credentials_give_a_token(client, credentials):
    _api_client, form = credentials
    response = client.post(TOKEN_PATH, form)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["access_token", "expires_in", "token_type"]
    assert body["expires_in"] == tokens.EXPIRES_IN == 3600
    assert body["token_type"] == "Bearer"


@pytest.mark.parametrize("scheme", ["", "Bearer "])
def test_the_token_works_raw_and_as_bearer(client, credentials, scheme):
    _api_client, form = credentials
    token = client.post(TOKEN_PATH, form).json()["access_token"]
    response = client.get(PATH, headers={"Authorization": f"{scheme}{token}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grant_type": "password"}, "grant_type"),
        ({"client_id": ""}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
    ],
)
def test_bad_fields_are_a_400_naming_them(client, credentials, change, field):
    _api_client, form = credentials
    response = client.post(TOKEN_PATH, {**form, **change})
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_wrong_secret_or_client_is_a_401(client, credentials):
    _api_client, form = credentials
    assert client.post(TOKEN_PATH, {**form, "client_secret": "nope"}).status_code == 401
    assert client.post(TOKEN_PATH, {**form, "client_id": "nope"}).status_code == 401


def test_a_revoked_client_gets_no_token_and_its_tokens_stop(client, credentials):
    api_client, form = credentials
    token = client.post(TOKEN_PATH, form).json()["access_token"]
    ApiClient.objects.filter(pk=api_client.pk).update(revoked_at=timezone.now())
    assert client.post(TOKEN_PATH, form).status_code == 401
    response = client.get(PATH, headers={"Authorization": token})
    assert response.status_code == 401
    assert b"revoked" in response.content


def test_an_expired_token_is_a_401(client, credentials):
    _api_client, form = credentials
    token = client.post(TOKEN_PATH, form).json()["access_token"]
    later = timezone.now() + timedelta(seconds=tokens.EXPIRES_IN + 1)
    with mock.patch("time.time", return_value=later.timestamp()):
        response = client.get(PATH, headers={"Authorization": token})
    assert response.status_code == 401
    assert b"expired" in response.content


def test_signing_out_everywhere_revokes_the_token(client, credentials):
    api_client, form = credentials
    token = client.post(TOKEN_PATH, form).json()["access_token"]
    api_client.user.revoke_tokens()
    assert client.get(PATH, headers={"Authorization": token}).status_code == 401


@pytest.mark.parametrize("header", ["garbage", "Bearer", "Bearer a b", f"{'x' * 10}:y:z"])
def test_a_wrong_token_is_a_401_with_a_challenge(client, credentials, header):
    response = client.get(PATH, headers={"Authorization": header})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_token_is_a_401(client):
    response = client.get(PATH)
    assert response.status_code == 401
