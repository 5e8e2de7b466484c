import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing with PBKDF2 dominates a suite that logs users in; MD5 is fine for tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
