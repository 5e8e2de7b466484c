"""Exam summary: the aggregates of one exam's attempts for its reviewers.

Who: admins, and instructors of the exam's course (``Exam.objects.reviewable_by``; another
course's exam is a 404); learners get 403 and anonymous users the login page
(``ReviewerRequiredMixin``). The numbers come from ``attempts.statistics.exam.exam_summary``.
"""

from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from assessments.models import Exam
from attempts.statistics.exam import exam_summary
from attempts.web.charts import histogram
from attempts.web.permissions import ReviewerRequiredMixin
from attempts.web.rescore import rescore_banner
from lms.replica import reads_from_replica


@reads_from_replica
class ExamSummaryView(ReviewerRequiredMixin, TemplateView):
    template_name = "attempts/exam_summary.html"

    def get_context_data(self, **kwargs):
        exams = Exam.objects.reviewable_by(self.request.user).select_related("course")
        exam = get_object_or_404(exams, pk=self.kwargs["exam_id"])
        summary = exam_summary(exam)
        return {
            **super().get_context_data(**kwargs),
            "exam": exam,
            "summary": summary,
            "histogram": histogram(summary.histogram_rows()),
            "rescore": rescore_banner(exam),
            "rescore_from": "summary",
        }
