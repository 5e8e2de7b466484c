"""``/health/`` (lms/health.py): 200 JSON when the database (and Redis, when set) answer, else 503."""

from unittest import mock

import pytest
from django.db import OperationalError

from tests.servers import free_port

pytestmark = pytest.mark.django_db


def test_healthy_database_answers_200_json(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert "no-store" in response.headers["Cache-Control"]


def test_database_down_answers_503(client, settings):
    settings.REDIS_URL = ""
    with mock.patch(
        "lms.health.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "OperationalError: connection refused"},
    }


def test_redis_unreachable_answers_503(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("ConnectionError")


def test_redis_answering_is_checked_and_healthy(client, settings, redis_url):
    settings.REDIS_URL = redis_url
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_health_is_reachable_over_plain_http_when_redirecting_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/courses/").status_code == 301
    assert client.get("/health/").status_code == 200


def test_probes_by_ip_address_are_answered_though_the_host_is_not_allowed(client, settings):
    settings.REDIS_URL = ""
    settings.ALLOWED_HOSTS = ["lms.example.com"]
    probe = {"HTTP_HOST": "10.0.3.7:8000"}

    assert client.get("/health/", **probe).status_code == 200
    assert client.get("/accounts/login/", **probe).status_code == 400  # the rest still checks
