"""Thought Industries' path, included at the site's root (``lms.urls``): clients change the
host only, so the path is theirs, ``/incoming/v2/assessmentAttempts``."""

from django.urls import path

from attempts.api.thoughtindustries import views

app_name = "thoughtindustries"

urlpatterns = [
    path(
        "incoming/v2/assessmentAttempts",
        views.AssessmentAttemptList.as_view(),
        name="assessment-attempts",
    ),
]
