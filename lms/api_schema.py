"""OpenAPI adjustments for drf-spectacular (imported by lms.api_urls)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
