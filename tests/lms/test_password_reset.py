"""Password reset by mail (django.contrib.auth's pages with ours, ``lms.views``): the mail
carries a working link; the form is throttled per address and per client address."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RESET_URL = "/accounts/password_reset/"
NEW_PASSWORD = "a-long-new-password-1"


@pytest.fixture(autouse=True)
def _empty_counters():
    cache.clear()  # the throttle counts in the default cache, which outlives a test
    yield
    cache.clear()


@pytest.fixture
def ada():
    return UserFactory(username="ada", email="ada@example.com")


def request_reset(client, email, ip="10.0.0.1", **headers):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=ip, **headers)


def test_the_pages_are_ours(client):
    html = client.get(RESET_URL).content.decode()
    assert "<title>Reset your password · LMS assessments</title>" in html
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_a_reset_mail_carries_a_link_that_sets_a_new_password(client, ada, mailoutbox, settings):
    response = request_reset(client, "ada@example.com")

    assert response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert (mail.to, mail.from_email) == (["ada@example.com"], settings.DEFAULT_FROM_EMAIL)
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.body).group(1)

    form_url = client.get(link).url  # Django swaps the token for a session one
    assert "Choose a new password" in client.get(form_url).content.decode()
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.url == reverse("password_reset_complete")
    ada.refresh_from_db()
    assert ada.check_password(NEW_PASSWORD)
    assert ada.token_version == 1  # API tokens issued before stop working
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mailoutbox):
    response = request_reset(client, "nobody@example.com")

    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


class TestThrottle:
    def test_an_address_gets_at_most_its_limit_an_hour(self, client, ada, mailoutbox, settings):
        limit = settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
        for n in range(limit):
            # from different machines: the address's own limit applies
            assert request_reset(client, "ada@example.com", ip=f"10.0.1.{n}").status_code == 302

        response = request_reset(client, "ADA@example.com", ip="10.0.2.1")

        assert response.status_code == 429
        assert "Too many password reset requests" in response.content.decode()
        assert len(mailoutbox) == limit

    def test_a_client_address_gets_at_most_its_limit_an_hour(self, client, settings):
        limit = settings.PASSWORD_RESET_LIMIT_PER_IP
        for n in range(limit):
            assert request_reset(client, f"someone{n}@example.com").status_code == 302

        assert request_reset(client, "another@example.com").status_code == 429
        assert request_reset(client, "another@example.com", ip="10.0.0.2").status_code == 302

    def test_behind_a_trusted_proxy_the_limit_is_per_forwarded_client(self, client, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        proxy = {"ip": "10.0.0.254"}
        for n in range(settings.PASSWORD_RESET_LIMIT_PER_IP):
            request_reset(
                client, f"someone{n}@example.com", **proxy, HTTP_X_FORWARDED_FOR="203.0.113.5"
            )

        limited = request_reset(
            client, "x@example.com", **proxy, HTTP_X_FORWARDED_FOR="203.0.113.5"
        )
        other = request_reset(client, "x@example.com", **proxy, HTTP_X_FORWARDED_FOR="203.0.113.6")

        assert (limited.status_code, other.status_code) == (429, 302)

    def test_the_limits_are_three_per_address_and_ten_per_client(self, settings):
        assert settings.PASSWORD_RESET_LIMIT_PER_ADDRESS == 3
        assert settings.PASSWORD_RESET_LIMIT_PER_IP == 10
