"""How the statistics endpoint's clients authenticate: ``Authorization: Bearer <token>``, the
token from ``POST /api/v2.5/auth-token/`` (until the submissions contract, which will own
this path, brings its own); a session signs in the browsable API and the docs."""

from rest_framework.authentication import SessionAuthentication

from attempts.api.authentication import PrefixedJWTAuthentication


class StatisticsJWTAuthentication(PrefixedJWTAuthentication):
    header_types = ("Bearer",)
    scheme_name = "statisticsJWT"
    token_url_name = "api:auth-token"


AUTHENTICATION_CLASSES = [StatisticsJWTAuthentication, SessionAuthentication]
