"""Testpress's auth-token endpoints and how a request authenticates: a token from
``POST /api/v2.5/auth-token/`` sent as ``JWT <token>`` or ``Bearer <token>``, or a session.
"""

import pytest
from rest_framework.test import APIClient

from tests.attempts.api.testpress.contract import (
    LIST_URL,
    REFRESH_URL,
    TOKEN_URL,
    VERIFY_URL,
    answers_url,
    detail_url,
    exam_url,
    user_url,
)


class TestAuthToken:
    def test_username_and_password_give_exactly_a_token(self, staff):
        response = APIClient().post(
            TOKEN_URL, {"username": "root", "password": "pass"}, format="json"
        )
        assert response.status_code == 200
        assert list(response.json()) == ["token"]
        assert response.json()["token"].count(".") == 2  # header.payload.signature

    def test_wrong_password_is_401(self, staff):
        response = APIClient().post(
            TOKEN_URL, {"username": "root", "password": "wrong"}, format="json"
        )
        assert response.status_code == 401
        assert "token" not in response.json()

    @pytest.mark.parametrize(
        ("payload", "missing"),
        [
            ({"username": "root"}, {"password"}),
            ({"password": "pass"}, {"username"}),
            ({}, {"username", "password"}),
        ],
    )
    def test_missing_field_is_400_keyed_by_field(self, staff, payload, missing):
        response = APIClient().post(TOKEN_URL, payload, format="json")
        assert response.status_code == 400
        assert set(response.json()) == missing
        for field in missing:
            assert response.json()[field] == ["This field is required."]

    @pytest.mark.parametrize("scheme", ["JWT", "Bearer"])
    def test_obtained_token_authenticates_with_jwt_and_bearer_schemes(self, staff, scheme):
        token = (
            APIClient()
            .post(TOKEN_URL, {"username": "root", "password": "pass"}, format="json")
            .json()["token"]
        )
        response = APIClient().get(LIST_URL, HTTP_AUTHORIZATION=f"{scheme} {token}")
        assert response.status_code == 200

    def test_refresh_returns_a_token_that_authenticates(self, staff):
        client = APIClient()
        token = client.post(
            TOKEN_URL, {"username": "root", "password": "pass"}, format="json"
        ).json()["token"]

        response = client.post(REFRESH_URL, {"token": token}, format="json")

        assert response.status_code == 200
        assert list(response.json()) == ["token"]
        refreshed = response.json()["token"]
        assert client.get(LIST_URL, HTTP_AUTHORIZATION=f"JWT {refreshed}").status_code == 200

    def test_verify_accepts_a_valid_token_and_rejects_a_forged_one(self, staff):
        client = APIClient()
        token = client.post(
            TOKEN_URL, {"username": "root", "password": "pass"}, format="json"
        ).json()["token"]

        valid = client.post(VERIFY_URL, {"token": token}, format="json")
        forged = client.post(VERIFY_URL, {"token": token[:-4] + "abcd"}, format="json")

        assert (valid.status_code, valid.json()) == (200, {})
        assert forged.status_code == 401

    def test_refresh_and_verify_require_the_token_field(self, staff):
        client = APIClient()
        for url in (REFRESH_URL, VERIFY_URL):
            response = client.post(url, {}, format="json")
            assert response.status_code == 400
            assert response.json() == {"token": ["This field is required."]}


class TestAuthentication:
    def test_session_login_works(self, client, staff):
        client.force_login(staff)
        assert client.get(LIST_URL).status_code == 200

    def test_anonymous_list_is_401_with_www_authenticate(self, db):
        response = APIClient().get(LIST_URL)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'JWT realm="api"'

    @pytest.mark.parametrize(
        "url", [detail_url(1), answers_url(1), exam_url(1), user_url(1)], ids=str
    )
    def test_anonymous_is_401_on_every_endpoint(self, db, url):
        response = APIClient().get(url)
        assert response.status_code == 401
        assert "WWW-Authenticate" in response

    def test_a_garbage_token_is_401(self, db):
        response = APIClient().get(LIST_URL, HTTP_AUTHORIZATION="JWT not-a-token")
        assert response.status_code == 401
