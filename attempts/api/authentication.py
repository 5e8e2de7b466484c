"""simplejwt's JWT authentication with a contract's own header prefixes.

simplejwt reads ``SIMPLE_JWT["AUTH_HEADER_TYPES"]`` once, when
``rest_framework_simplejwt.authentication`` is imported, into module constants that every
``JWTAuthentication`` shares: the prefix of the 401 challenge and the prefixes it accepts.
The setting stays neutral (``Bearer``); a contract whose clients send another prefix
subclasses ``PrefixedJWTAuthentication`` and names its prefixes there, for its views only.
Tokens, their validation and the user lookup are simplejwt's; ``VersionedJWTAuthentication``
adds the revocation check (``attempts.api.tokens``): a token issued before the user's last
password change, deactivation or "sign out everywhere" is refused.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import HTTP_HEADER_ENCODING
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from attempts.api import tokens


class VersionedJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication (an existing, active user) that also refuses revoked
    tokens; the global default of ``REST_FRAMEWORK``."""

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
        return parts[1]

    def token_path(self) -> str:
        return reverse(self.token_url_name)
