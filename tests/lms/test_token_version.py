"""``User.token_version``: what bumps it (and so revokes API tokens) and what does not;
"sign out everywhere" as a page and as an admin action, for tokens and browser sessions."""

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from lms.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def stored_version(user) -> int:
    return User.objects.values_list("token_version", flat=True).get(pk=user.pk)


def test_a_password_change_bumps_the_version():
    user = UserFactory()
    assert stored_version(user) == 0

    user.set_password("another-password-1")
    user.save(update_fields=["password"])

    assert stored_version(user) == 1


def test_a_hash_upgrade_at_login_keeps_the_version(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = UserFactory(password=None)
    User.objects.filter(pk=user.pk).update(
        password=make_password("pass", hasher="md5")  # an old hasher: login upgrades it
    )
    user = User.objects.get(pk=user.pk)

    assert user.check_password("pass")

    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert stored_version(user) == 0


def test_a_deactivation_bumps_the_version_once():
    user = User.objects.get(pk=UserFactory().pk)

    user.is_active = False
    user.save(update_fields=["is_active"])
    user.save()  # still inactive: no second bump

    assert stored_version(user) == 1


def test_other_changes_keep_the_version():
    user = User.objects.get(pk=UserFactory().pk)

    user.display_name = "Ada"
    user.save()

    assert stored_version(user) == 0


class TestSignOutEverywhere:
    def test_the_page_revokes_the_tokens_and_ends_the_session(self, client):
        user = UserFactory()
        client.force_login(user)

        response = client.post(reverse("sign-out-everywhere"))

        assert response.url == reverse("login")
        assert stored_version(user) == 1
        assert client.get("/").url == reverse("login")  # signed out here too

    def test_the_page_ends_the_users_other_sessions(self, client):
        user = UserFactory()
        phone, other_person = Client(), Client()
        phone.force_login(user)
        other_person.force_login(UserFactory())
        client.force_login(user)

        client.post(reverse("sign-out-everywhere"))

        assert phone.get(reverse("my-attempts")).status_code == 302  # sent to sign in
        assert other_person.get(reverse("my-attempts")).status_code == 200

    def test_a_password_change_ends_other_sessions_but_keeps_this_one(self, client):
        user = UserFactory(password="old-password-1")
        phone = Client()
        phone.force_login(user)
        client.force_login(user)

        response = client.post(
            reverse("password_change"),
            {
                "old_password": "old-password-1",
                "new_password1": "a-new-Password-2",
                "new_password2": "a-new-Password-2",
            },
        )

        assert response.status_code == 302
        assert client.get(reverse("my-attempts")).status_code == 200
        assert phone.get(reverse("my-attempts")).status_code == 302

    def test_sessions_of_version_0_keep_djangos_hash(self):
        """Sessions signed in before the version joined the hash stay signed in."""
        user = UserFactory()
        assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)

    def test_the_page_takes_only_post(self, client):
        client.force_login(UserFactory())
        assert client.get(reverse("sign-out-everywhere")).status_code == 405

    def test_every_page_offers_the_button(self, client):
        client.force_login(UserFactory())
        html = client.get(reverse("my-attempts")).content.decode()
        assert f'action="{reverse("sign-out-everywhere")}"' in html

    def test_the_admin_action_revokes_the_selected_users_tokens(self, admin_client):
        chosen, other = UserFactory(), UserFactory()

        response = admin_client.post(
            reverse("admin:lms_user_changelist"),
            {"action": "sign_out_everywhere", "_selected_action": [chosen.pk]},
        )

        assert response.status_code == 302
        assert (stored_version(chosen), stored_version(other)) == (1, 0)

    def test_the_admin_action_ends_the_selected_users_sessions(self, admin_client):
        chosen = UserFactory()
        browser = Client()
        browser.force_login(chosen)

        admin_client.post(
            reverse("admin:lms_user_changelist"),
            {"action": "sign_out_everywhere", "_selected_action": [chosen.pk]},
        )

        assert browser.get(reverse("my-attempts")).status_code == 302
