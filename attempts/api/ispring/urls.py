"""iSpring Learn's paths, included at the site's root (``lms.urls``): clients change the
host only, so the paths are theirs, ``/api/v3/token`` and ``/learners/modules/results``."""

from django.urls import path

from attempts.api.ispring import views

app_name = "ispring"

urlpatterns = [
    path("api/v3/token", views.TokenView.as_view(), name="token"),
    path("learners/modules/results", views.ModuleResultList.as_view(), name="module-results"),
]
