"""``PrefixedJWTAuthentication``: a contract's JWT header prefixes are its own. A view with
the global (neutral) authentication takes ``Bearer`` only; a contract's view takes the
prefixes of its class and challenges with the first of them."""

import json

import pytest
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from attempts.api.authentication import PrefixedJWTAuthentication
from attempts.api.tokens import VersionedSlidingToken as SlidingToken
from tests.factories import UserFactory


class ExampleJWTAuthentication(PrefixedJWTAuthentication):
    header_types = ("Token", "Bearer")


class Whoami(APIView):
    """The global authentication classes (``REST_FRAMEWORK`` settings)."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"username": request.user.username})


class ContractWhoami(Whoami):
    authentication_classes = [ExampleJWTAuthentication]


def call(view_class, header):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=header)
    response = view_class.as_view()(request)
    response.render()
    return response.status_code, json.loads(response.content), response.get("WWW-Authenticate")


@pytest.fixture
def token(db):
    return SlidingToken.for_user(UserFactory(username="ada"))


@pytest.mark.parametrize(
    ("view_class", "prefix", "accepted", "challenge"),
    [
        (Whoami, "Bearer", True, None),
        (Whoami, "JWT", False, 'Bearer realm="api"'),
        (Whoami, "Token", False, 'Bearer realm="api"'),
        (ContractWhoami, "Token", True, None),
        (ContractWhoami, "Bearer", True, None),
        (ContractWhoami, "JWT", False, 'Token realm="api"'),
    ],
)
def test_each_view_takes_the_prefixes_of_its_authentication(
    token, view_class, prefix, accepted, challenge
):
    status, body, www_authenticate = call(view_class, f"{prefix} {token}")
    if accepted:
        assert (status, body) == (200, {"username": "ada"})
    else:
        assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})
    assert www_authenticate == challenge


def test_a_prefix_of_ours_with_two_values_is_refused(db):
    status, body, _ = call(ContractWhoami, "Token a b")
    assert (status, body["code"]) == (401, "bad_authorization_header")


def test_a_bad_token_after_our_prefix_is_refused(db):
    status, body, www_authenticate = call(ContractWhoami, "Token not-a-token")
    assert (status, body["code"], www_authenticate) == (401, "token_not_valid", 'Token realm="api"')
