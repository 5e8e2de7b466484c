from django.contrib import admin
from django.urls import include, path

from lms import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", health.health, name="health"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("attempts.web.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("lms.api_urls")),
]

# Under /api/ a JSON body; a lost database a 503 (lms.middleware).
handler500 = "lms.views.server_error"
