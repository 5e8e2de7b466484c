"""Testpress's paths (v2.5 and v3), included under ``/api/`` in the ``api`` namespace."""

from django.urls import path

from attempts.api.testpress import views

urlpatterns = [
    path("v2.5/auth-token/", views.TokenObtainSlidingView.as_view(), name="auth-token"),
    path(
        "v2.5/auth-token/refresh/",
        views.TokenRefreshSlidingView.as_view(),
        name="auth-token-refresh",
    ),
    path("v2.5/auth-token/verify/", views.TokenVerifyView.as_view(), name="auth-token-verify"),
    path("v2.5/admin/attempts/", views.AdminAttemptList.as_view(), name="admin-attempt-list"),
    path(
        "v2.5/admin/attempts/<int:pk>/",
        views.AdminAttemptDetail.as_view(),
        name="admin-attempt-detail",
    ),
    path(
        "v3/admin/attempts/<int:pk>/user_answers/",
        views.AdminAttemptUserAnswers.as_view(),
        name="admin-attempt-user-answers",
    ),
    path("v2.5/admin/exams/<int:pk>/", views.AdminExamDetail.as_view(), name="admin-exam-detail"),
    path("v2.5/admin/users/<int:pk>/", views.AdminUserDetail.as_view(), name="admin-user-detail"),
]
