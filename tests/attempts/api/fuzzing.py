"""What the schemathesis tests of every contract share: the schema's path, the checks, the
fuzzing settings, and data made once per test module (``keep_test_connection``, which
the WSGI calls need, is in this folder's conftest).

Each contract's ``test_schema`` module builds its own data and token and fuzzes its own tag;
``shared_data(build)`` gives it the two fixtures that hold that data for the whole module."""

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SCHEMA_PATH = "/api/schema/?format=json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Per operation: schemathesis's explicit cases (schema examples, coverage of each parameter's
# boundaries, positive and negative) plus at most 25 random examples; the same every run.
FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def shared_data(build):
    """``(api_data, _db)`` fixtures for a test module: ``api_data`` is what ``build()``
    returns, made once for the module in a transaction rolled back after its last test;
    ``_db`` (autouse) runs each test in a savepoint of it. Assign both in the module."""

    @pytest.fixture(scope="module")
    def api_data(django_db_setup, django_db_blocker):
        fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        with (
            django_db_blocker.unblock(),
            override_settings(PASSWORD_HASHERS=fast),
            transaction.atomic(),
        ):
            yield build()
            transaction.set_rollback(True)

    @pytest.fixture(autouse=True)
    def _db(db, api_data):
        """Every test of the module reads the same data, in its own savepoint."""

    return api_data, _db
