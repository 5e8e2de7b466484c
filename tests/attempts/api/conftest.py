"""Fixtures of the API tests."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@pytest.fixture(scope="module")
def keep_test_connection():
    """Requests through the real WSGI handler send ``request_started``/``request_finished``,
    whose ``close_old_connections`` would close the connection holding the tests' transaction
    (PostgreSQL). Django's own test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
