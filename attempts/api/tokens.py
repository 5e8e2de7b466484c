"""API tokens a user can revoke, and the serializers of the token endpoints that check them.

A token carries the ``token_version`` of its user when it is issued
(``VersionedSlidingToken``); ``lms.User`` bumps the version on a password change, a
deactivation and "sign out everywhere", so every token issued before stops working: the
authentication (``attempts.api.authentication``) and the refresh and verify endpoints refuse
a token whose version is not the user's, and a token of a user who is inactive or deleted.
A token without the claim (issued before versions existed) is refused too.

The sign-in endpoint authenticates with the request, so django-axes counts its failures and
locks a username out from an address after ``AXES_FAILURE_LIMIT`` of them: a 429.
"""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_lockout_message
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import (
    TokenObtainSlidingSerializer,
    TokenRefreshSlidingSerializer,
    TokenVerifySerializer,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import SlidingToken, Token, UntypedToken

TOKEN_VERSION_CLAIM = "token_version"


class VersionedSlidingToken(SlidingToken):
    """simplejwt's sliding token with the user's ``token_version``."""

    @classmethod
    def for_user(cls, user):
        token = super().for_user(user)
        token[TOKEN_VERSION_CLAIM] = user.token_version
        return token


def is_current(token: Token, user) -> bool:
    """Whether ``token`` was issued to ``user`` since the last revocation."""
    return token.get(TOKEN_VERSION_CLAIM) == user.token_version


def current_user(token: Token):
    """The user of ``token`` if they exist, are active and have not revoked it; else a 401."""
    user_id = token.get(api_settings.USER_ID_CLAIM)
    user = (
        get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user_id is not None
        else None
    )
    if user is None:
        raise InvalidToken(_("User not found"))
    if not user.is_active:
        raise InvalidToken(_("User is inactive"))
    if not is_current(token, user):
        raise InvalidToken(_("Token has been revoked"))
    return user


class TokenObtainSerializer(TokenObtainSlidingSerializer):
    token_class = VersionedSlidingToken

    def validate(self, attrs):
        # simplejwt passes the request to ``authenticate``: axes sees the attempt (and sets
        # its flags on this DRF request, which AxesMiddleware never sees: we answer here).
        request = self.context["request"]
        try:
            data = super().validate(attrs)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                cool_off = get_cool_off(request)
                raise exceptions.Throttled(
                    wait=cool_off.total_seconds() if cool_off else None,
                    detail=str(get_lockout_message()),
                ) from None
            raise
        # A token is no session login (no ``user_logged_in`` signal): tell axes, so it logs
        # the success and resets the failures (AXES_RESET_ON_SUCCESS).
        AxesProxyHandler.user_logged_in(type(self), request=request, user=self.user)
        return data


class TokenRefreshSerializer(TokenRefreshSlidingSerializer):
    token_class = VersionedSlidingToken

    def validate(self, attrs):
        current_user(self.token_class(attrs["token"]))
        return super().validate(attrs)


class TokenVerifySerializer(TokenVerifySerializer):
    def validate(self, attrs):
        data = super().validate(attrs)
        current_user(UntypedToken(attrs["token"]))
        return data
