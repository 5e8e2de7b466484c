"""API keys (``ApiKeyAuthentication``) on every contract: what a key sees is its account's,
refused keys are a 401 with a challenge, a learner's key a 403 on reviewer endpoints,
``last_used_at`` is written at most once a minute, and each client is throttled."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from lms.models import ApiClient
from tests.factories import AttemptFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

TESTPRESS_LIST = "/api/v2.5/admin/attempts/"
TI_LIST = "/incoming/v2/assessmentAttempts"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def issue(user=None, **fields):
    client, secret = ApiClient.issue(user=user or StaffFactory(), name="sync", **fields)
    return client, client.api_key(secret)


def get(client, path, key):
    return client.get(path, headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize("path", [TESTPRESS_LIST, TI_LIST])
def test_an_admin_key_works_on_both_contracts(client, path):
    AttemptFactory(state=1)
    _, key = issue()
    response = get(client, path, key)
    assert response.status_code == 200, response.content


def test_an_instructor_key_sees_what_the_instructor_sees(client, kit):
    mine = kit.start()
    AttemptFactory(state=1)  # another course's
    _, key = issue(kit.instructor)
    rows = get(client, TESTPRESS_LIST, key).json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]


@pytest.mark.parametrize("path", [TESTPRESS_LIST, TI_LIST])
def test_a_learner_key_is_forbidden_on_reviewer_endpoints(client, path):
    _, key = issue(UserFactory())
    assert get(client, path, key).status_code == 403


def _revoked():
    api_client, key = issue()
    ApiClient.objects.filter(pk=api_client.pk).update(revoked_at=timezone.now())
    return key


def _expired():
    return issue(expires_at=timezone.now() - timedelta(seconds=1))[1]


def _wrong_secret():
    return issue()[1][:-3] + "xyz"


def _inactive():
    return issue(UserFactory(is_active=False))[1]


@pytest.mark.parametrize(
    "make_key",
    [
        _revoked,
        _expired,
        _wrong_secret,
        _inactive,
        lambda: "lmsk_unknownclient.secret",
        lambda: "lmsk_no-dot-here",
    ],
    ids=["revoked", "expired", "wrong-secret", "inactive-account", "unknown", "malformed"],
)
@pytest.mark.parametrize("path", [TESTPRESS_LIST, TI_LIST])
def test_a_refused_key_is_a_401_with_a_challenge(client, path, make_key):
    response = get(client, path, make_key())
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] in ('Bearer realm="api"', 'JWT realm="api"')


def test_no_key_is_a_401_with_the_bearer_challenge(client):
    response = client.get(TI_LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_last_used_is_written_at_most_once_a_minute(client):
    api_client, key = issue()
    assert api_client.last_used_at is None
    get(client, TI_LIST, key)
    first = ApiClient.objects.get(pk=api_client.pk).last_used_at
    assert first is not None
    get(client, TI_LIST, key)
    assert ApiClient.objects.get(pk=api_client.pk).last_used_at == first
    # A minute later it moves again.
    ApiClient.objects.filter(pk=api_client.pk).update(last_used_at=first - timedelta(minutes=1))
    get(client, TI_LIST, key)
    assert ApiClient.objects.get(pk=api_client.pk).last_used_at > first


def test_checking_a_key_costs_well_under_a_millisecond():
    """The keyed hash (HMAC-SHA256), not a password hasher: 1000 checks in well under 1 s."""
    api_client, key = issue()
    secret = ApiClient.split_key(key)[1]
    started = time.perf_counter()
    for _ in range(1000):
        assert api_client.secret_matches(secret)
    per_check = (time.perf_counter() - started) / 1000
    assert per_check < 0.0002, per_check


def test_the_secret_is_stored_only_as_a_keyed_hash():
    api_client, key = issue()
    secret = ApiClient.split_key(key)[1]
    stored = ApiClient.objects.get(pk=api_client.pk)
    assert secret not in stored.secret_hash
    assert len(stored.secret_hash) == 64
    with override_settings(API_KEY_HASH_KEY="another-server-key"):
        assert not stored.secret_matches(secret)  # useless without the server's key
    assert stored.secret_matches(secret)


@override_settings(
    REST_FRAMEWORK={
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "2/min"},
    }
)
def test_each_client_is_throttled_with_retry_after(client):
    _, key = issue()
    _, other = issue()
    statuses = [get(client, TI_LIST, key).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = get(client, TESTPRESS_LIST, key)  # the same client, on another contract
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert get(client, TI_LIST, other).status_code == 200  # another client has its own count


def test_a_jwt_is_not_throttled_as_a_client(client):
    """People (JWT, session) are not API clients: the client throttle ignores them."""
    staff = StaffFactory()
    client.force_login(staff)
    with override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"api_client": "1/min"},
        }
    ):
        assert [client.get(TI_LIST).status_code for _ in range(3)] == [200, 200, 200]
