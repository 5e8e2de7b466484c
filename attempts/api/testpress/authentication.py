"""How Testpress's clients authenticate: ``Authorization: JWT <token>`` (``Bearer <token>``
too), the token from ``POST /api/v2.5/auth-token/``; a 401 challenges with
``WWW-Authenticate: JWT realm="api"``. An integration's API key (``Bearer lmsk_…``) works
too, as the account it acts for."""

from rest_framework.authentication import SessionAuthentication

from attempts.api.authentication import ApiKeyAuthentication, PrefixedJWTAuthentication


class TestpressJWTAuthentication(PrefixedJWTAuthentication):
    header_types = ("JWT", "Bearer")
    scheme_name = "testpressJWT"
    token_url_name = "api:auth-token"


# JWT first: its challenge turns an anonymous request into a 401 (not a 403). A session
# signs in the browsable API and the docs' "Try it out".
AUTHENTICATION_CLASSES = [TestpressJWTAuthentication, ApiKeyAuthentication, SessionAuthentication]
