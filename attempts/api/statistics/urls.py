"""The statistics path, included under ``/api/v1/`` (the lead moves it into the submissions
contract at merge)."""

from django.urls import path

from attempts.api.statistics import views

urlpatterns = [
    path(
        "assessments/<str:assessment_id>/statistics",
        views.AssessmentStatistics.as_view(),
        name="assessment-statistics",
    ),
]
