"""Fixtures of the Thought Industries contract tests: API keys and a GET helper."""

import pytest
from django.core.cache import cache

from lms.models import ApiClient
from tests.factories import StaffFactory

PATH = "/incoming/v2/assessmentAttempts"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counts and cached totals live in the default cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


def key_for(user, name="warehouse", **fields) -> str:
    client, secret = ApiClient.issue(user=user, name=name, **fields)
    return client.api_key(secret)


@pytest.fixture
def admin_key(db):
    return key_for(StaffFactory(username="root"))


@pytest.fixture
def fetch(client):
    """``fetch(key, **query)``: GET the endpoint with ``Authorization: Bearer <key>``."""

    def get(key, **query):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return client.get(PATH, query, headers=headers)

    return get
