from django.contrib import admin
from django.urls import include, path

from lms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/preferences/", views.preferences, name="preferences"),
    path(
        "accounts/sign-out-everywhere/",
        views.sign_out_everywhere,
        name="sign-out-everywhere",
    ),
    # Before django.contrib.auth.urls: the same name and path, throttled.
    path(
        "accounts/password_reset/",
        views.ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("attempts.web.urls")),
    path("admin/", admin.site.urls),
    # iSpring's token path lies under /api/, whose catch-all answers 404: before it.
    path("", include("attempts.api.ispring.urls")),
    path("api/", include("lms.api_urls")),
    # Contracts whose clients know a path of their own, outside /api/.
    path("", include("attempts.api.thoughtindustries.urls")),
]

# Under /api/ a JSON body; a lost database a 503 (lms.middleware).
handler500 = "lms.views.server_error"
