from django.urls import path

from attempts import report_views, review_views, views

urlpatterns = [
    path(
        "exams/<int:exam_id>/attempts/", views.ExamAttemptListView.as_view(), name="exam-attempts"
    ),
    path(
        "exams/<int:exam_id>/summary/",
        report_views.ExamSummaryView.as_view(),
        name="exam-summary",
    ),
    path("attempts/<int:pk>/", review_views.AttemptDetailView.as_view(), name="attempt-detail"),
    path(
        "answers/<int:pk>/evaluate/",
        review_views.EvaluateAnswerView.as_view(),
        name="answer-evaluate",
    ),
    path("evaluations/", review_views.EvaluationQueueView.as_view(), name="evaluation-queue"),
    path("my/attempts/", views.MyAttemptListView.as_view(), name="my-attempts"),
]
