"""Brute-force protection (django-axes, settings "Hardening: brute-force protection"): the
sign-in page, the admin's and the API's token endpoint lock a username out from an address
after AXES_FAILURE_LIMIT failures, for the cool-off; a success resets the count."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from rest_framework.test import APIClient

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
ADMIN_LOGIN_URL = "/admin/login/"
TOKEN_URL = "/api/v2.5/auth-token/"
LOCKED_MESSAGE = "Too many sign-in attempts"


@pytest.fixture
def ada():
    return UserFactory(username="ada")


def sign_in(client, password, username="ada", url=LOGIN_URL, ip="10.0.0.1", **headers):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)


def fail(client, times, **kwargs):
    for _ in range(times):
        response = sign_in(client, "wrong", **kwargs)
    return response


def test_the_settings_are_five_failures_and_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


class TestSignInPage:
    def test_thirty_wrong_passwords_then_the_right_one_is_refused(self, client, ada):
        fail(client, 30)

        response = sign_in(client, "pass")

        assert response.status_code == 429
        assert LOCKED_MESSAGE in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_the_limit_th_failure_locks_out(self, client, ada, settings):
        assert fail(client, settings.AXES_FAILURE_LIMIT - 1).status_code == 200  # the form again
        assert fail(client, 1).status_code == 429

    def test_a_success_before_the_limit_resets_the_count(self, client, ada, settings):
        fail(client, settings.AXES_FAILURE_LIMIT - 1)
        assert sign_in(client, "pass").status_code == 302
        client.post("/accounts/logout/")

        fail(client, settings.AXES_FAILURE_LIMIT - 1)

        assert sign_in(client, "pass").status_code == 302

    def test_the_lockout_is_of_the_username_from_that_address_only(self, client, ada):
        UserFactory(username="grace")
        fail(client, 5)

        assert sign_in(client, "pass", ip="10.0.0.2").status_code == 302
        client.post("/accounts/logout/")
        assert sign_in(client, "pass", username="grace").status_code == 302

    def test_the_lockout_ends_after_the_cool_off(self, client, ada):
        fail(client, 5)
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))

        assert sign_in(client, "pass").status_code == 302


def test_the_admin_login_locks_out_with_the_same_page(client):
    StaffFactory(username="root")
    fail(client, 5, username="root", url=ADMIN_LOGIN_URL)

    response = sign_in(client, "pass", username="root", url=ADMIN_LOGIN_URL)

    assert response.status_code == 429
    assert LOCKED_MESSAGE in response.content.decode()


def test_the_admin_lists_the_lockouts(admin_client, client, ada):
    fail(client, 5)

    html = admin_client.get("/admin/axes/accessattempt/").content.decode()

    assert "ada" in html
    assert "10.0.0.1" in html


class TestBehindAProxy:
    """Every client of a reverse proxy reaches us from the proxy's address: with
    TRUSTED_PROXY_COUNT set, the lockout is of the address the proxy saw."""

    PROXY = "10.0.0.254"

    def sign_in_through_proxy(self, client, password, forwarded_for):
        return sign_in(client, password, ip=self.PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)

    @pytest.fixture
    def one_trusted_proxy(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1

    def test_a_locked_out_client_does_not_lock_out_the_others(self, client, ada, one_trusted_proxy):
        for _ in range(5):
            self.sign_in_through_proxy(client, "wrong", "203.0.113.5")

        assert self.sign_in_through_proxy(client, "pass", "203.0.113.5").status_code == 429
        assert self.sign_in_through_proxy(client, "pass", "203.0.113.6").status_code == 302
        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}

    def test_without_a_trusted_proxy_a_forged_header_changes_nothing(self, client, ada):
        for n in range(5):
            self.sign_in_through_proxy(client, "wrong", f"203.0.113.{n}")

        assert self.sign_in_through_proxy(client, "pass", "198.51.100.1").status_code == 429


class TestTokenEndpoint:
    def post(self, password, ip="10.0.0.1"):
        return APIClient().post(
            TOKEN_URL, {"username": "ada", "password": password}, format="json", REMOTE_ADDR=ip
        )

    def test_thirty_wrong_passwords_then_the_right_one_is_429(self, ada):
        for _ in range(30):
            self.post("wrong")

        response = self.post("pass")

        assert response.status_code == 429
        assert list(response.json()) == ["detail"]
        assert response.json()["detail"].startswith("Account locked: too many login attempts.")
        assert response["Retry-After"] == "900"

    def test_failures_below_the_limit_are_401_and_a_success_resets_them(self, ada):
        statuses = [self.post("wrong").status_code for _ in range(4)]
        assert statuses == [401] * 4
        assert self.post("pass").status_code == 200

        assert [self.post("wrong").status_code for _ in range(5)] == [401] * 4 + [429]

    def test_another_address_is_not_locked_out(self, ada):
        for _ in range(5):
            self.post("wrong")

        assert self.post("pass", ip="10.0.0.2").status_code == 200
