"""Token revocation (``attempts.api.tokens``): a token stops working after its user's
password change, deactivation or "sign out everywhere"; refresh and verify refuse tokens of
inactive, deleted and revoked users; a token issued afterwards works."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import SlidingToken

from tests.factories import StaffFactory

LIST_URL = "/api/v2.5/admin/attempts/"
TOKEN_URL = "/api/v2.5/auth-token/"
REFRESH_URL = "/api/v2.5/auth-token/refresh/"
VERIFY_URL = "/api/v2.5/auth-token/verify/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory(username="root")


def obtain(username="root", password="pass") -> str:
    response = APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def list_status(token) -> int:
    return APIClient().get(LIST_URL, HTTP_AUTHORIZATION=f"JWT {token}").status_code


def post_token(url, token):
    return APIClient().post(url, {"token": token}, format="json")


def password_change(user):
    user.set_password("a-new-password-1")
    user.save()


def deactivation(user):
    user.is_active = False
    user.save()


def sign_out_everywhere(user):
    client = APIClient()
    client.force_login(user)
    assert client.post(reverse("sign-out-everywhere")).status_code == 302


@pytest.mark.parametrize("revoke", [password_change, deactivation, sign_out_everywhere])
def test_a_token_stops_working_when_the_user_revokes(staff, revoke):
    token = obtain()
    assert list_status(token) == 200

    revoke(staff)

    assert list_status(token) == 401
    assert post_token(REFRESH_URL, token).status_code == 401
    assert post_token(VERIFY_URL, token).status_code == 401


def test_a_token_issued_after_a_password_change_works(staff):
    old = obtain()
    password_change(staff)

    new = obtain(password="a-new-password-1")

    assert (list_status(old), list_status(new)) == (401, 200)
    assert post_token(REFRESH_URL, new).status_code == 200
    assert post_token(VERIFY_URL, new).status_code == 200


def test_reactivation_does_not_revive_old_tokens(staff):
    token = obtain()
    deactivation(staff)
    staff.is_active = True
    staff.save()

    assert list_status(token) == 401
    assert list_status(obtain()) == 200


@pytest.mark.parametrize("url", [REFRESH_URL, VERIFY_URL])
def test_refresh_and_verify_refuse_a_token_of_an_inactive_user(staff, url):
    token = obtain()
    assert post_token(url, token).status_code == 200
    # Not through save(): the version stays, only the user's state refuses the token.
    type(staff).objects.filter(pk=staff.pk).update(is_active=False)

    response = post_token(url, token)

    assert response.status_code == 401
    assert response.json()["detail"] == "User is inactive"


@pytest.mark.parametrize("url", [REFRESH_URL, VERIFY_URL])
def test_refresh_and_verify_refuse_a_token_of_a_deleted_user(staff, url):
    token = obtain()
    staff.delete()

    response = post_token(url, token)

    assert response.status_code == 401
    assert response.json()["detail"] == "User not found"


@pytest.mark.parametrize("url", [REFRESH_URL, VERIFY_URL])
def test_refresh_and_verify_refuse_a_stale_version(staff, url):
    token = obtain()
    staff.revoke_tokens()

    response = post_token(url, token)

    assert response.status_code == 401
    assert response.json()["detail"] == "Token has been revoked"


def test_a_token_without_a_version_is_refused(staff):
    """Tokens issued before versions existed carry no claim: they are revoked too."""
    token = SlidingToken.for_user(staff)

    assert list_status(token) == 401
    assert post_token(REFRESH_URL, str(token)).status_code == 401
    assert post_token(VERIFY_URL, str(token)).status_code == 401


def test_the_revocation_answer_names_its_code(staff):
    token = obtain()
    staff.revoke_tokens()

    response = APIClient().get(LIST_URL, HTTP_AUTHORIZATION=f"JWT {token}")

    assert response.json() == {"detail": "Token has been revoked", "code": "token_revoked"}
