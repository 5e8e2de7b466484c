"""How this contract's clients authenticate: ``Authorization: Bearer <token>``, the token
from ``POST /api/v2.5/auth-token/`` (a 401 challenges with ``WWW-Authenticate: Bearer``), or
a browser session, whose writes need the CSRF token (DRF's ``SessionAuthentication``)."""

from rest_framework.authentication import SessionAuthentication

from attempts.api.authentication import PrefixedJWTAuthentication


class BearerJWTAuthentication(PrefixedJWTAuthentication):
    header_types = ("Bearer",)
    scheme_name = "bearerJWT"
    token_url_name = "api:auth-token"


# JWT first: its challenge makes an anonymous request a 401 rather than a 403.
AUTHENTICATION_CLASSES = [BearerJWTAuthentication, SessionAuthentication]
