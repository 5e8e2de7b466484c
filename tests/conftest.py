import pytest

from tests import admin_pages


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing with PBKDF2 dominates a suite that logs users in; MD5 is fine for tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def one_of_each(db):
    """One object of every model, for the admin tests (tests/admin_pages.py)."""
    return admin_pages.one_of_each()
