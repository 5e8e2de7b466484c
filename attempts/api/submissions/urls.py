"""Paths of the submissions contract, included under ``/api/`` in the ``api`` namespace.
Another view of one assessment goes beside the others as ``assessments/<id>/<name>``."""

from django.urls import path

from attempts.api.submissions import statistics, views

ASSESSMENT = "v1/assessments/<str:assessment_id>"

urlpatterns = [
    path("v1/assessments", views.AssessmentList.as_view(), name="assessment-list"),
    path(ASSESSMENT, views.AssessmentDetail.as_view(), name="assessment-detail"),
    path(
        f"{ASSESSMENT}/questions",
        views.AssessmentQuestions.as_view(),
        name="assessment-questions",
    ),
    path(f"{ASSESSMENT}/start", views.AttemptStart.as_view(), name="assessment-start"),
    path(
        f"{ASSESSMENT}/statistics",
        statistics.AssessmentStatistics.as_view(),
        name="assessment-statistics",
    ),
    path(
        f"{ASSESSMENT}/submissions",
        views.SubmissionCreate.as_view(),
        name="assessment-submissions",
    ),
    path(
        f"{ASSESSMENT}/submissions/<str:submission_id>",
        views.SubmissionDetail.as_view(),
        name="submission-detail",
    ),
]
