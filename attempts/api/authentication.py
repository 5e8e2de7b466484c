"""simplejwt's JWT authentication with a contract's own header prefixes.

simplejwt reads ``SIMPLE_JWT["AUTH_HEADER_TYPES"]`` once, when
``rest_framework_simplejwt.authentication`` is imported, into module constants that every
``JWTAuthentication`` shares: the prefix of the 401 challenge and the prefixes it accepts.
The setting stays neutral (``Bearer``); a contract whose clients send another prefix
subclasses ``PrefixedJWTAuthentication`` and names its prefixes there, for its views only.
Tokens, their validation and the user lookup are simplejwt's; ``VersionedJWTAuthentication``
adds the revocation check (``attempts.api.tokens``): a token issued before the user's last
password change, deactivation or "sign out everywhere" is refused.

``ApiKeyAuthentication`` takes the API keys of integrations (``lms.models.ApiClient``), sent
as ``Authorization: Bearer <key>``: it authenticates as the account the client acts for, so
``lms.access`` decides what a key sees, as for that person. The JWT classes leave a key of
ours (``lmsk_…``) alone, so a view may accept both under the same ``Bearer`` prefix.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import HTTP_HEADER_ENCODING
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from attempts.api import tokens
from lms.models import ApiClient

KEY_PREFIX = ApiClient.KEY_PREFIX.encode(HTTP_HEADER_ENCODING)


class VersionedJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication (an existing, active user) that also refuses revoked
    tokens; the global default of ``REST_FRAMEWORK``."""

    def get_raw_token(self, header: bytes) -> bytes | None:
        raw = super().get_raw_token(header)
        return None if raw is not None and raw.startswith(KEY_PREFIX) else raw

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if not tokens.is_current(validated_token, user):
            raise AuthenticationFailed(_("Token has been revoked"), code="token_revoked")
        return user


class PrefixedJWTAuthentication(VersionedJWTAuthentication):
    """Accepts ``<prefix> <token>`` for each of ``header_types``; the first one names the
    ``WWW-Authenticate`` challenge of a 401."""

    header_types: tuple[str, ...] = ()
    # For the OpenAPI security scheme (``attempts.api.schema``): its name, and the URL name
    # of the view that hands out tokens.
    scheme_name: str = ""
    token_url_name: str = ""

    def authenticate_header(self, request) -> str:
        return f'{self.header_types[0]} realm="{self.www_authenticate_realm}"'

    def get_raw_token(self, header: bytes) -> bytes | None:
        """simplejwt's own rule, with this class's prefixes: no prefix of ours means no
        token for us (another authentication may take the request); one of ours must be
        followed by exactly one value."""
        parts = header.split()
        accepted = {prefix.encode(HTTP_HEADER_ENCODING) for prefix in self.header_types}
        if not parts or parts[0] not in accepted:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("Authorization header must contain two space-delimited values"),
                code="bad_authorization_header",
            )
        return None if parts[1].startswith(KEY_PREFIX) else parts[1]

    def token_path(self) -> str:
        return reverse(self.token_url_name)


# ---------------------------------------------------------------------------- API keys


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer lmsk_<client_id>.<secret>``: ``(client.user, client)``.

    One query (the client by its unique ``client_id``, with its user); the secret is checked
    with a keyed hash (``ApiClient.secret_matches``). An unknown, revoked or expired key, or
    one whose account is inactive, is a 401 with ``WWW-Authenticate: Bearer``. Any other
    ``Authorization`` value is left to the view's next authentication class.
    ``last_used_at`` is written when the stored one is a minute old or more: at most one
    UPDATE a minute per client, whatever the traffic.
    """

    keyword = b"Bearer"
    www_authenticate_realm = "api"
    # For the OpenAPI security scheme (attempts.api.schema).
    scheme_name = "apiKey"
    LAST_USED_EVERY = timedelta(minutes=1)

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0] != self.keyword or not parts[1].startswith(KEY_PREFIX):
            return None
        try:
            split = ApiClient.split_key(parts[1].decode(HTTP_HEADER_ENCODING))
        except UnicodeDecodeError:
            split = None
        if split is None:
            raise AuthenticationFailed(_("Malformed API key."), code="bad_api_key")
        client_id, secret = split
        client = ApiClient.objects.select_related("user").filter(client_id=client_id).first()
        if client is None or not client.secret_matches(secret):
            raise AuthenticationFailed(_("Unknown API key."), code="bad_api_key")
        now = timezone.now()
        refusal = client.refusal(now)
        if refusal:
            raise AuthenticationFailed(refusal, code="api_key_refused")
        if client.last_used_at is None or now - client.last_used_at >= self.LAST_USED_EVERY:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now
        return client.user, client

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}"'
