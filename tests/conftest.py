import pytest

from tests import admin_pages, servers


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing with PBKDF2 dominates a suite that logs users in; MD5 is fine for tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def one_of_each(db):
    """One object of every model, for the admin tests (tests/admin_pages.py)."""
    return admin_pages.one_of_each()


@pytest.fixture(scope="session")
def redis_url():
    """A Redis server of the tests' own on a free port (Debian's redis-server, which
    ``make test`` installs when missing), stopped after the session; nothing kept on disk."""
    with servers.redis_server() as url:
        yield url
