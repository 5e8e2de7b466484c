"""The contract's authentication: a Bearer JWT from the token endpoint, or a session whose
writes carry the CSRF token."""

from rest_framework.test import APIClient

from attempts.models import Attempt
from tests.attempts.api.submissions.conftest import LIST, sheet, submissions_url

TOKEN = "/api/v2.5/auth-token/"


def test_a_bearer_token_from_the_token_endpoint_submits(open_kit):
    kit = open_kit
    client = APIClient()
    token = client.post(TOKEN, {"username": "ada", "password": "pass"}, format="json").json()[
        "token"
    ]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(LIST).status_code == 200
    response = client.post(submissions_url(kit.exam), sheet(kit, single=[0]), format="json")
    assert response.status_code == 201


def test_testpress_jwt_prefix_is_not_this_contracts(open_kit):
    client = APIClient()
    token = client.post(TOKEN, {"username": "ada", "password": "pass"}, format="json").json()[
        "token"
    ]
    client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    assert client.get(LIST).status_code == 401


def test_a_session_reads_and_needs_the_csrf_token_to_write(open_kit):
    kit = open_kit
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(kit.learner)
    assert client.get(LIST).status_code == 200
    refused = client.post(submissions_url(kit.exam), sheet(kit, single=[0]), format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Attempt.objects.exists()
    client.get("/accounts/login/")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        submissions_url(kit.exam), sheet(kit, single=[0]), format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201
