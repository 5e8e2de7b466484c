"""OpenAPI helpers shared by the contracts (drf-spectacular).

- Error responses: ``{"detail": ...}`` bodies and bodies keyed by the parameter at fault,
  each with the description a contract gives them.
- The security scheme of a JWT header sent with either of two prefixes.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR_DETAIL = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})


def detail_error(description: str) -> OpenApiResponse:
    """A ``{"detail": "..."}`` body: DRF's 401, 403, 404 and 405."""
    return OpenApiResponse(ERROR_DETAIL, description=description)


def field_errors(description: str) -> OpenApiResponse:
    """Messages keyed by the field or parameter they concern: ``{"page": ["..."]}``."""
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


UNAUTHORIZED = detail_error("No or an invalid token (with a `WWW-Authenticate` header).")
NOT_A_REVIEWER = detail_error("Signed in, but neither admin nor instructor.")


class JWTEitherPrefixScheme(OpenApiAuthenticationExtension):
    """simplejwt accepts ``JWT <token>`` and ``Bearer <token>``; an OpenAPI ``bearer`` scheme
    can name one prefix only, so document the header as it is sent."""

    target_class = "rest_framework_simplejwt.authentication.JWTAuthentication"
    name = "jwtAuth"
    priority = 1  # replaces drf-spectacular's own simplejwt scheme

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`JWT <token>` or `Bearer <token>`, the token from "
            "`POST /api/v2.5/auth-token/`.",
        }
