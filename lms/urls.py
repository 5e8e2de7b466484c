from django.contrib import admin
from django.urls import include, path

from lms import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/sign-out-everywhere/",
        views.sign_out_everywhere,
        name="sign-out-everywhere",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("attempts.web.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("lms.api_urls")),
]
