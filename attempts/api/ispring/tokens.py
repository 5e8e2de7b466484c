"""iSpring's client-credentials token: ``POST /api/v3/token`` and the header that carries it.

An API client (``lms.models.ApiClient``) trades its ``client_id`` and secret for an access
token valid ``EXPIRES_IN`` seconds. The token is a signed, timestamped value
(``django.core.signing``, salted for this use) naming the client and the ``token_version``
of its account: nothing is stored, and it stops working when it expires, when the client is
revoked or expires, when the account is deactivated, or when its owner signs out everywhere
or changes password (the version moves). Checking one costs one query (the client and its
account).

Requests carry it as the raw ``Authorization`` value, as iSpring's example does
(``Authorization: <token>``), or as ``Authorization: Bearer <token>``.
"""

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import HTTP_HEADER_ENCODING
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from lms.models import ApiClient

SALT = "attempts.api.ispring.token"
EXPIRES_IN = 3600  # seconds
TOKEN_TYPE = "Bearer"


def issue(client: ApiClient) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object(
        {"c": client.client_id, "v": client.user.token_version}
    )


def client_for(token: str) -> ApiClient:
    """The client a current token of ours was issued to; else ``AuthenticationFailed``."""
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=EXPIRES_IN)
        client_id, version = str(payload["c"]), int(payload["v"])
    except signing.SignatureExpired:
        raise AuthenticationFailed(_("The token has expired: request a new one.")) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise AuthenticationFailed(_("Not a token of this API.")) from None
    client = ApiClient.objects.select_related("user").filter(client_id=client_id).first()
    if client is None or client.user.token_version != version:
        raise AuthenticationFailed(_("The token has been revoked: request a new one."))
    refusal = client.refusal(timezone.now())
    if refusal:
        raise AuthenticationFailed(refusal)
    return client


class IspringTokenAuthentication(BaseAuthentication):
    """``Authorization: <token>`` or ``Authorization: Bearer <token>``: ``(account, client)``.
    No header: no authentication (the permission answers 401)."""

    www_authenticate_realm = "ispring"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        if len(parts) == 2 and parts[0].lower() == b"bearer":
            parts = parts[1:]
        if len(parts) != 1:
            raise AuthenticationFailed(_("Send the token alone, or as 'Bearer <token>'."))
        try:
            token = parts[0].decode(HTTP_HEADER_ENCODING)
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Not a token of this API.")) from None
        client = client_for(token)
        return client.user, client

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}"'


class IspringTokenScheme(OpenApiAuthenticationExtension):
    target_class = IspringTokenAuthentication
    name = "ispringToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "The `access_token` from `POST /api/v3/token`, alone (as "
            "iSpring sends it) or as `Bearer <token>`.",
        }
