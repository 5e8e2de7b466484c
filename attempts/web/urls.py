"""URLs of the pages. Templates and tests reverse them by name: the names do not change."""

from django.urls import path

from attempts.web import (
    attempt_detail,
    attempt_list,
    courses,
    evaluation,
    exam_statistics,
    exam_summary,
    export_jobs,
    forgive,
    grading,
    override,
    regrade,
    rescore,
)

urlpatterns = [
    path("courses/", courses.CourseListView.as_view(), name="courses"),
    path(
        "exams/<int:exam_id>/attempts/",
        attempt_list.ExamAttemptListView.as_view(),
        name="exam-attempts",
    ),
    path(
        "exams/<int:exam_id>/attempts/finalize/",
        attempt_list.FinalizeOverdueView.as_view(),
        name="exam-attempts-finalize",
    ),
    path(
        "exams/<int:exam_id>/summary/",
        exam_summary.ExamSummaryView.as_view(),
        name="exam-summary",
    ),
    path(
        "exams/<int:exam_id>/statistics/",
        exam_statistics.ExamStatisticsView.as_view(),
        name="exam-statistics",
    ),
    path(
        "exams/<int:exam_id>/statistics/questions/<int:exam_question_id>/",
        exam_statistics.QuestionStatisticsView.as_view(),
        name="exam-question-statistics",
    ),
    path("exams/<int:exam_id>/rescore/", rescore.ExamRescoreView.as_view(), name="exam-rescore"),
    path("exams/<int:exam_id>/regrade/", regrade.RegradePreviewView.as_view(), name="exam-regrade"),
    path("regrades/<int:pk>/", regrade.RegradeDetailView.as_view(), name="regrade-detail"),
    path("exports/<int:pk>/", export_jobs.ExportJobView.as_view(), name="export-job"),
    path(
        "exports/<int:pk>/download/",
        export_jobs.ExportJobDownloadView.as_view(),
        name="export-job-download",
    ),
    path("regrades/<int:pk>/undo/", regrade.RegradeUndoView.as_view(), name="regrade-undo"),
    path(
        "answers/<int:pk>/override/", override.AnswerOverrideView.as_view(), name="answer-override"
    ),
    path("attempts/<int:pk>/", attempt_detail.AttemptDetailView.as_view(), name="attempt-detail"),
    path(
        "attempts/<int:pk>/forgive/", forgive.AttemptForgiveView.as_view(), name="attempt-forgive"
    ),
    path(
        "attempts/<int:pk>/extend/",
        attempt_detail.ExtendDeadlineView.as_view(),
        name="attempt-extend",
    ),
    path(
        "answers/<int:pk>/evaluate/",
        evaluation.EvaluateAnswerView.as_view(),
        name="answer-evaluate",
    ),
    path("evaluations/", evaluation.EvaluationQueueView.as_view(), name="evaluation-queue"),
    path(
        "evaluations/questions/<int:pk>/",
        grading.GradeQuestionView.as_view(),
        name="grade-question",
    ),
    path("my/attempts/", attempt_list.MyAttemptListView.as_view(), name="my-attempts"),
]
