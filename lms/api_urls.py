"""REST API routes: Testpress-compatible paths (v2.5 and v3), auth tokens, the OpenAPI schema."""

from django.http import JsonResponse
from django.urls import path, re_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework_simplejwt.views import (
    TokenObtainSlidingView,
    TokenRefreshSlidingView,
    TokenVerifyView,
)

from attempts import api
from lms import api_schema  # noqa: F401 (registers the OpenAPI auth scheme)

app_name = "api"

TOKEN = inline_serializer("Token", {"token": serializers.CharField()})
BAD_REQUEST = OpenApiResponse(OpenApiTypes.OBJECT, description="Missing field, keyed by name.")
REFUSED = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Wrong credentials, or an invalid or expired token."
)


def not_found(request, *args, **kwargs):
    """Any other path under /api/ (an id that is no number, say): a JSON 404 as DRF gives."""
    return JsonResponse({"detail": "Not found."}, status=404)


def documented(view, summary, ok=TOKEN):
    """simplejwt's views with the answers they really give in the OpenAPI schema."""
    return extend_schema_view(
        post=extend_schema(
            tags=["auth"],
            summary=summary,
            responses={200: ok, 400: BAD_REQUEST, 401: REFUSED},
        )
    )(view).as_view()


urlpatterns = [
    path(
        "v2.5/auth-token/",
        documented(TokenObtainSlidingView, "Get a token with username and password"),
        name="auth-token",
    ),
    path(
        "v2.5/auth-token/refresh/",
        documented(TokenRefreshSlidingView, "Renew a token before its refresh limit"),
        name="auth-token-refresh",
    ),
    path(
        "v2.5/auth-token/verify/",
        documented(
            TokenVerifyView,
            "Check a token",
            ok=OpenApiResponse(OpenApiTypes.OBJECT, description="Valid: an empty object."),
        ),
        name="auth-token-verify",
    ),
    path("v2.5/admin/attempts/", api.AdminAttemptList.as_view(), name="admin-attempt-list"),
    path(
        "v2.5/admin/attempts/<int:pk>/",
        api.AdminAttemptDetail.as_view(),
        name="admin-attempt-detail",
    ),
    path(
        "v3/admin/attempts/<int:pk>/user_answers/",
        api.AdminAttemptUserAnswers.as_view(),
        name="admin-attempt-user-answers",
    ),
    path("v2.5/admin/exams/<int:pk>/", api.AdminExamDetail.as_view(), name="admin-exam-detail"),
    path("v2.5/admin/users/<int:pk>/", api.AdminUserDetail.as_view(), name="admin-user-detail"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", not_found),
]
