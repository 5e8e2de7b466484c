"""OpenAPI helpers shared by the contracts (drf-spectacular).

- Error responses: ``{"detail": ...}`` bodies and bodies keyed by the parameter at fault,
  each with the description a contract gives them.
- The security scheme of a contract's JWT header, with the prefixes it accepts.
- One tag per contract: each contract declares its tag and description (``contract_tag``)
  and tags its operations with it; a postprocessing hook lists the tags with their
  descriptions, so the settings name no contract.
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


class PrefixedJWTScheme(OpenApiAuthenticationExtension):
    """A contract's JWT header (``attempts.api.authentication``). An OpenAPI ``bearer`` scheme
    names one prefix, ``Bearer``, so the header is documented as it is sent."""

    target_class = "attempts.api.authentication.PrefixedJWTAuthentication"
    match_subclasses = True

    def __init__(self, target):
        super().__init__(target)
        self.name = target.scheme_name

    def get_security_definition(self, auto_schema):
        prefixes = " or ".join(f"`{prefix} <token>`" for prefix in self.target.header_types)
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"{prefixes}, the token from `POST {self.target.token_path()}`.",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """An integration's API key (``attempts.api.authentication.ApiKeyAuthentication``)."""

    target_class = "attempts.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Bearer lmsk_<client_id>.<secret>`: an API client's key, shown "
            "once when an admin creates the client (Django admin, or "
            "`manage.py create_api_key`).",
        }


# ------------------------------------------------------------------- one tag per contract

CONTRACT_TAGS: dict[str, str] = {}


def contract_tag(name: str, description: str) -> str:
    """Declare the tag of a contract's operations with the description the docs show above
    them (how to authenticate, what it is compatible with); returns ``name``."""
    CONTRACT_TAGS[name] = description
    return name


def describe_contract_tags(result, generator, request, public):
    """drf-spectacular postprocessing hook: the schema's ``tags``, one per contract whose
    operations it holds, in the order the contracts declared them."""
    used = {
        tag
        for path in result.get("paths", {}).values()
        for operation in path.values()
        for tag in operation.get("tags", ())
    }
    result["tags"] = [
        {"name": name, "description": description}
        for name, description in CONTRACT_TAGS.items()
        if name in used
    ]
    return result
