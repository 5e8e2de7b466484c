"""REST API routes: Testpress-compatible paths (v2.5 and v3), auth tokens, the OpenAPI schema."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework_simplejwt.views import (
    TokenObtainSlidingView,
    TokenRefreshSlidingView,
    TokenVerifyView,
)

from attempts import api
from lms import api_schema  # noqa: F401 (registers the OpenAPI auth scheme)

app_name = "api"

urlpatterns = [
    path("v2.5/auth-token/", TokenObtainSlidingView.as_view(), name="auth-token"),
    path("v2.5/auth-token/refresh/", TokenRefreshSlidingView.as_view(), name="auth-token-refresh"),
    path("v2.5/auth-token/verify/", TokenVerifyView.as_view(), name="auth-token-verify"),
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
]
