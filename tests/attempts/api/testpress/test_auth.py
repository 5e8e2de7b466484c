"""Testpress's auth-token endpoints and how a request authenticates: a token from
``POST /api/v2.5/auth-token/`` sent as ``JWT <token>`` or ``Bearer <token>``, or a session.
"""

import pytest
from rest_framework.test import APIClient

from attempts.api.tokens import VersionedSlidingToken as SlidingToken
from tests.attempts.api.testpress.contract import (
    LIST_URL,
    REFRESH_URL,
    TOKEN_URL,
    VERIFY_URL,
    answers_url,
    detail_url,
    exam_url,
    jwt_client,
    user_url,
)
from tests.attempts.api.testpress.scenarios import thirteen_of_24


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


class TestJWTPrefix:
    """``JWT <token>`` is Testpress's prefix, accepted by its authentication class while the
    global ``SIMPLE_JWT["AUTH_HEADER_TYPES"]`` names ``Bearer`` only."""

    ENDPOINTS = {
        "list": lambda attempt: LIST_URL,
        "detail": lambda attempt: detail_url(attempt.pk),
        "user_answers": lambda attempt: answers_url(attempt.pk),
        "exam": lambda attempt: exam_url(attempt.exam_id),
        "user": lambda attempt: user_url(attempt.user_id),
    }

    def test_the_global_setting_names_bearer_only(self, settings):
        assert settings.SIMPLE_JWT["AUTH_HEADER_TYPES"] == ("Bearer",)

    @pytest.mark.parametrize("scheme", ["JWT", "Bearer"])
    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_every_endpoint_accepts_jwt_and_bearer(self, kit, staff, endpoint, scheme):
        attempt = thirteen_of_24(kit)
        url = self.ENDPOINTS[endpoint](attempt)

        response = jwt_client(staff, scheme=scheme).get(url)

        assert response.status_code == 200, response.content

    @pytest.mark.parametrize("header", ["jwt {token}", "Token {token}", "JWT{token}"])
    def test_another_prefix_is_no_credentials(self, staff, header):
        token = SlidingToken.for_user(staff)
        response = APIClient().get(LIST_URL, HTTP_AUTHORIZATION=header.format(token=token))
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication credentials were not provided."}
        assert response["WWW-Authenticate"] == 'JWT realm="api"'

    @pytest.mark.parametrize("header", ["JWT", "JWT a b", "Bearer a b"])
    def test_our_prefix_without_exactly_one_value_is_a_bad_header(self, db, header):
        response = APIClient().get(LIST_URL, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert response.json() == {
            "detail": "Authorization header must contain two space-delimited values",
            "code": "bad_authorization_header",
        }

    def test_a_refused_login_challenges_with_jwt(self, staff):
        response = APIClient().post(
            TOKEN_URL, {"username": "root", "password": "wrong"}, format="json"
        )
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'JWT realm="api"'

    @pytest.mark.parametrize("url", [REFRESH_URL, VERIFY_URL])
    def test_a_refused_token_challenges_with_jwt(self, db, url):
        response = APIClient().post(url, {"token": "not-a-token"}, format="json")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'JWT realm="api"'
