"""Fixtures of the iSpring contract tests: tokens for accounts, and a GET helper that reads
XML or JSON."""

import pytest
from django.core.cache import cache
from lxml import etree

from attempts.api.ispring import tokens
from lms.models import ApiClient

PATH = "/learners/modules/results"
TOKEN_PATH = "/api/v3/token"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def token_for(user) -> str:
    client, _secret = ApiClient.issue(user=user, name="reports")
    client.user = user
    return tokens.issue(client)


def xml_rows(response) -> list[dict]:
    """The ``<result>`` elements as dicts of their children's text, in order."""
    root = etree.fromstring(response.content)
    return [{child.tag: child.text for child in node} for node in root.iter("result")]


@pytest.fixture
def fetch(client):
    """``fetch(token, **query)``: GET the results with the token as the raw header value."""

    def get(token, query=None, accept=None):
        headers = {"Authorization": token} if token else {}
        if accept:
            headers["Accept"] = accept
        return client.get(PATH, query or {}, headers=headers)

    return get
